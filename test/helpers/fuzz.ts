/**
 * Mutation fuzzing for YAML-based language features (MLCube manifests, MLgym configs).
 *
 *   fc.assert(fc.property(mutations(text), (t) => assertNoCrashNoHang(fn, t)))      in-process
 *   const guard = HangGuard.start(modulePath, 'exportName'); await guard.ready(); await guard.check(t)   in a worker
 *
 * `mutations(text)` derives broken variants of a real file: deleted, duplicated and swapped lines, changed
 * indentation, random scalars, truncation, huge strings, stray YAML indicators. `assertNoCrashNoHang` runs a
 * function in-process and fails on any exception or on a run longer than the limit (1 s); it cannot stop a
 * real infinite loop, which `HangGuard` can: it runs the function in a worker thread and terminates it.
 * Both write out what the function returns as JSON, as the server's answers go over the wire: an answer that
 * shares values (YAML aliases) is cheap to build and can be exponentially large once serialised, and that
 * cost counts.
 */
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';

/** Scalars that stress a YAML/OmegaConf-aware validator. */
const SCALARS = [
  '', '~', 'null', '0', '-1', '1e309', '0x1F', '.inf', 'true', 'no', '"1"', "''", '[]', '{}', '[a, b]', '{a: 1}',
  '${name}', '${', '${a.${b}}', '${oc.env:HOME}', '${oc.env:NOPE}', '${.x}', '${..}', '${a:b,c}', '\\${x}', '$WORKSPACE/x',
  '"\\u00e9\\t${x}"', "'it''s'", '|\n  block', '>-\n  folded', '&a x', '*a', '*nope', '!!binary AAAA', '!tag x', '? complex',
  '- item', '#comment', 'a: b: c', '"unclosed', '[unclosed', '{unclosed', ':', '- - -', '<<: *a', '\t', '\u0000', '\uFEFF', '😀',
];

/** Inserted or appended text that is big or deep. */
const BIG = [
  () => 'x'.repeat(50_000),
  () => `"${'\\u00e9'.repeat(5_000)}"`,
  () => '${'.repeat(2_000),
  () => '${a.'.repeat(500) + '}'.repeat(500),
  () => '['.repeat(500) + ']'.repeat(500),
  () => '{a: '.repeat(300) + '}'.repeat(300),
  () => Array.from({ length: 1_000 }, (_, i) => `  k${i}: v${i}`).join('\n'),
  () => 'a: &a [1]\n' + Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`).join('\n'),
];

type Mutation = (lines: string[], text: string) => string;

const lineIndex = fc.nat();

function mutation(): fc.Arbitrary<Mutation> {
  const at = (lines: string[], i: number) => (lines.length ? i % lines.length : 0);
  const big = fc.tuple(fc.nat(), fc.constantFrom(...BIG)).map(([n, make]): Mutation => (_l, text) => { const k = text.length ? n % text.length : 0; return text.slice(0, k) + make() + text.slice(k); });
  // Big inputs are slow to parse: one mutation in twenty-odd, so that the time box covers many cases.
  return fc.oneof(
    { arbitrary: big, weight: 1 },
    lineIndex.map((i): Mutation => (lines) => { const l = [...lines]; l.splice(at(l, i), 1); return l.join('\n'); }),
    lineIndex.map((i): Mutation => (lines) => { const l = [...lines]; const k = at(l, i); l.splice(k, 0, l[k] ?? ''); return l.join('\n'); }),
    fc.tuple(lineIndex, lineIndex).map(([i, j]): Mutation => (lines) => {
      const l = [...lines]; const a = at(l, i), b = at(l, j); [l[a], l[b]] = [l[b], l[a]]; return l.join('\n');
    }),
    fc.tuple(lineIndex, fc.integer({ min: -6, max: 6 }), fc.boolean()).map(([i, d, tab]): Mutation => (lines) => {
      const l = [...lines]; const k = at(l, i); const s = l[k] ?? '';
      l[k] = d >= 0 ? (tab ? '\t' : ' ').repeat(d) + s : s.replace(new RegExp(`^ {0,${-d}}`), '');
      return l.join('\n');
    }),
    fc.tuple(lineIndex, fc.constantFrom(...SCALARS)).map(([i, v]): Mutation => (lines) => {
      const l = [...lines]; const k = at(l, i); const s = l[k] ?? '';
      const m = /^(\s*(?:- )?[^:#]*:)(\s*).*$/.exec(s);
      l[k] = m ? `${m[1]} ${v}` : `${s}${v}`;
      return l.join('\n');
    }),
    fc.tuple(lineIndex, fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 })).map(([i, k, v]): Mutation => (lines) => {
      const l = [...lines]; const n = at(l, i); const indent = /^\s*/.exec(l[n] ?? '')?.[0] ?? '';
      l.splice(n, 0, `${indent}${k}: ${v}`); return l.join('\n');
    }),
    fc.nat().map((n): Mutation => (_l, text) => text.slice(0, text.length ? n % (text.length + 1) : 0)),

    fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 6 })).map(([n, s]): Mutation => (_l, text) => { const k = text.length ? n % text.length : 0; return text.slice(0, k) + s + text.slice(k); }),
    fc.constant<Mutation>((_l, text) => text.replace(/\n/g, '\r\n')),
    fc.constant<Mutation>((lines) => lines.map((l) => l.replace(/^( +)/, (s) => ' '.repeat(s.length * 2))).join('\n')),
  );
}

/** Broken variants of `text`: one to four mutations applied in sequence. */
export function mutations(text: string, opts: { maxMutations?: number } = {}): fc.Arbitrary<string> {
  return fc.array(mutation(), { minLength: 1, maxLength: opts.maxMutations ?? 4 }).map((ms) => {
    let t = text;
    for (const m of ms) t = m(t.split('\n'), t);
    return t;
  });
}

/** Mutated variants of any of several texts. */
export function mutationsOfAny(texts: readonly string[], opts: { maxMutations?: number } = {}): fc.Arbitrary<string> {
  return fc.constantFrom(...texts).chain((t) => mutations(t, opts));
}

const preview = (text: string) => JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}... (${text.length} chars)` : text);

function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/**
 * Runs `fn(text)` in-process: fails on any exception, or when it needed more than `limitMs` of CPU time
 * (measured twice before failing, so one garbage-collection spike does not count). CPU time, because on a
 * shared machine wall time measures the neighbours. A real infinite loop blocks here: use HangGuard for that.
 */
export function assertNoCrashNoHang(fn: (text: string) => unknown, text: string, limitMs = 1000): void {
  const once = () => {
    try {
      return cpuMs(() => { serialise(fn(text)); });
    } catch (err) {
      throw new Error(`crashed on input ${preview(text)}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  };
  let ms = once();
  if (ms > limitMs) ms = once();
  if (ms > limitMs) throw new Error(`took ${ms.toFixed(0)} ms of CPU (limit ${limitMs} ms) on input ${preview(text)}`);
}

/** Writes out an answer as the LSP connection does (JSON); the length, so that nothing optimises it away. */
export function serialise(answer: unknown): number {
  return answer === undefined ? 0 : JSON.stringify(answer).length;
}

/**
 * Runs an exported `(text: string) => unknown` of a TypeScript module in a worker thread, so that a real
 * infinite loop becomes a failure (the worker is terminated and restarted) instead of a hung test run.
 */
export class HangGuard {
  private worker!: Worker;
  /** Settles when the worker has loaded the module: startup time never counts as a hang. */
  private loaded!: Promise<void>;

  private constructor(private readonly modulePath: string, private readonly exportName: string) {
    this.spawn();
  }

  static start(modulePath: string, exportName: string): HangGuard {
    return new HangGuard(modulePath, exportName);
  }

  private spawn(): void {
    const tsx = require.resolve('tsx/cjs');
    const source = `
      const { parentPort } = require('node:worker_threads');
      require(${JSON.stringify(tsx)});
      const fn = require(${JSON.stringify(this.modulePath)})[${JSON.stringify(this.exportName)}];
      parentPort.postMessage({ loaded: true });
      parentPort.on('message', (text) => {
        // CPU time, not wall time: on a shared machine wall time measures the neighbours. While the worker
        // runs, the main thread only waits, so the process's CPU time is the worker's.
        const c0 = process.cpuUsage();
        // The answer is written out as the server's connection would (see serialise()).
        try { const r = fn(text); if (r !== undefined) JSON.stringify(r); const c = process.cpuUsage(c0); parentPort.postMessage({ ok: true, ms: (c.user + c.system) / 1000 }); }
        catch (e) { parentPort.postMessage({ ok: false, error: e && e.stack ? e.stack : String(e) }); }
      });`;
    const w = new Worker(source, { eval: true });
    w.unref();
    this.worker = w;
    this.loaded = new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
  }

  /** Waits until the worker has loaded the module and run it once (first-use compilation is not a hang). */
  async ready(text = '', limitMs = 60_000): Promise<void> {
    await this.loaded;
    await this.check(text, limitMs, limitMs);
  }

  /**
   * Fails when the function throws, or when it needed more than `limitMs` of CPU time (twice in a row, so a
   * garbage-collection spike does not count), or when it has not returned after `hangMs` of wall time: then
   * the worker is terminated and restarted.
   */
  async check(text: string, limitMs = 1000, hangMs = Math.max(10_000, limitMs * 10)): Promise<void> {
    let first = await this.runOnce(text, hangMs);
    if ('ms' in first && first.ms > limitMs) first = await this.runOnce(text, hangMs);
    if ('hang' in first) throw new Error(`still running after ${hangMs} ms on input ${preview(text)}`);
    if (!first.ok) throw new Error(`crashed on input ${preview(text)}: ${first.error}`);
    if ('ms' in first && first.ms > limitMs) throw new Error(`took ${first.ms.toFixed(0)} ms of CPU (limit ${limitMs} ms) on input ${preview(text)}`);
  }

  private async runOnce(text: string, hangMs: number): Promise<{ ok: true; ms: number } | { ok: false; error: string } | { hang: true }> {
    await this.loaded;
    const worker = this.worker;
    const result = await new Promise<{ ok: true; ms: number } | { ok: false; error: string } | { hang: true }>((resolve, reject) => {
      const timer = setTimeout(() => { cleanup(); resolve({ hang: true }); }, hangMs);
      const onMessage = (m: { ok: true; ms: number } | { ok: false; error: string }) => { cleanup(); resolve(m); };
      const onError = (e: Error) => { cleanup(); reject(e); };
      const cleanup = () => { clearTimeout(timer); worker.off('message', onMessage); worker.off('error', onError); };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage(text);
    });
    if ('hang' in result) {
      await worker.terminate();
      this.spawn();
      await this.ready();
    }
    return result;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
