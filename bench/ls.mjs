// `npm run bench:ls`: CubeLab's language server against yaml-language-server (given CubeLab's own JSON
// Schema, schemas/mlcube.schema.json) on the same manifests, both driven over real LSP stdio.
// Measures, per file: full validation (open -> diagnostics), keystroke -> diagnostics after a one-character
// edit inside a task, and completion latency; prints a markdown table with ratios and checks the targets.
// Compute, not waiting: CubeLab runs with `validation.debounceMs: 0`; yaml-language-server's hard-coded
// 200 ms validation delay is patched to 0 in a copy of its bundle (see bench/lib/yamlLanguageServer.mjs).
// Usage: node bench/ls.mjs [--quick]      (builds dist/server.js first if it is missing)
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { LspDriver } from './lib/lspDriver.mjs';
import { patchedYamlLanguageServer } from './lib/yamlLanguageServer.mjs';
import { generatedManifest, typicalManifest } from './lib/manifests.mjs';
import { fmt, median, p99 } from './lib/stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const N = quick
  ? { warm: 20, warmOpens: 10, opens: 3, keys: 20, completions: 20, bigWarm: 3, bigWarmOpens: 1, bigOpens: 2, bigKeys: 16, bigCompletions: 16 }
  : { warm: 100, warmOpens: 50, opens: 20, keys: 200, completions: 200, bigWarm: 10, bigWarmOpens: 2, bigOpens: 5, bigKeys: 100, bigCompletions: 100 };

if (!existsSync(join(root, 'dist', 'server.js'))) {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

const schemaUri = pathToFileURL(join(root, 'schemas', 'mlcube.schema.json')).href;
const yls = patchedYamlLanguageServer(root);

function cubelab() {
  return new LspDriver('CubeLab', process.execPath, [join(root, 'dist', 'server.js'), '--stdio'], {
    rootPath: root,
    configuration: (section) => (section === 'cubelab' || section === undefined ? { validation: { enable: true, debounceMs: 0 } } : {}),
  });
}

function yamlLs() {
  return new LspDriver('yaml-language-server', process.execPath, [yls.bin, '--stdio'], {
    rootPath: root,
    configuration: (section) => {
      if (section === 'yaml') {
        return {
          validate: true, completion: true, hover: true, format: { enable: false }, schemaStore: { enable: false },
          schemas: { [schemaUri]: ['mlcube.yaml', '**/mlcube.yaml'] }, maxItemsComputed: 5000, yamlVersion: '1.2',
        };
      }
      if (section === 'editor') return { tabSize: 2 };
      return {};
    },
  });
}

/** Where to type and where to complete: the `default:` path and the `type:` value nearest the middle. */
function positions(text) {
  const lines = text.split('\n');
  const mid = lines.length / 2;
  const nearest = (re) => {
    let best = -1;
    lines.forEach((l, i) => { if (re.test(l) && (best < 0 || Math.abs(i - mid) < Math.abs(best - mid))) best = i; });
    if (best < 0) throw new Error(`no line matches ${re}`);
    return best;
  };
  const kl = nearest(/default: [A-Za-z"]/);
  const kc = lines[kl].indexOf('default: ') + 'default: '.length + 2;
  const cl = nearest(/type: (file|directory)/);
  const cc = lines[cl].indexOf('type: ') + 'type: '.length;
  return { key: { line: kl, character: kc }, complete: { line: cl, character: cc } };
}

/**
 * Both servers run side by side and samples alternate between them (A, B, A, B, ...), so that the load
 * of a shared machine falls on both alike. Each sample waits for its answer before the next is sent.
 */
async function measure(servers, label, text, n) {
  const pos = positions(text);
  const uri = (s, i) => pathToFileURL(join('/tmp', 'cubelab-bench', s.name.replace(/\W/g, ''), label, String(i), 'mlcube.yaml')).href;
  const insert = (s, u) => s.change(u, { start: pos.key, end: pos.key }, 'x');
  const remove = (s, u) => s.change(u, { start: pos.key, end: { line: pos.key.line, character: pos.key.character + 1 } }, '');
  const out = new Map(servers.map((s) => [s, { opens: [], keys: [], completions: [], diagnostics: 0, items: 0 }]));
  // Warm-up (JIT): a document per server, edits and completions, then closed.
  for (const s of servers) {
    const w = uri(s, 'warm');
    await s.open(w, text);
    for (let i = 0; i < n.warm; i++) { await insert(s, w); await remove(s, w); await s.completion(w, pos.complete); }
    s.close(w);
    for (let i = 0; i < n.warmOpens; i++) { const u = uri(s, `warm-open-${i}`); await s.open(u, text); s.close(u); }
  }
  for (let i = 0; i < n.opens; i++) {
    for (const s of servers) {
      const r = await s.open(uri(s, i), text);
      const o = out.get(s); o.opens.push(r.ms); o.diagnostics = r.diagnostics.length;
      if (i < n.opens - 1) s.close(uri(s, i));
    }
  }
  for (let i = 0; i < n.keys; i++) {
    for (const s of servers) {
      const r = await (i % 2 === 0 ? insert : remove)(s, uri(s, n.opens - 1));
      out.get(s).keys.push(r.ms);
    }
  }
  for (let i = 0; i < n.completions; i++) {
    for (const s of servers) {
      const r = await s.completion(uri(s, n.opens - 1), pos.complete);
      const o = out.get(s); o.completions.push(r.ms); o.items = r.items.length;
    }
  }
  for (const s of servers) s.close(uri(s, n.opens - 1));
  const res = {};
  for (const [s, o] of out) {
    res[s.name] = { open: median(o.opens), keyMedian: median(o.keys), keyP99: p99(o.keys), compMedian: median(o.completions), compP99: p99(o.completions), diagnostics: o.diagnostics, items: o.items };
  }
  return res;
}

const typical = typicalManifest(root);
const big = generatedManifest(5000);
const files = [
  { label: 'typical', name: `typical (${typical.text.split('\n').length} lines, ${typical.source.split('/').pop()})`, text: typical.text, n: { warm: N.warm, warmOpens: N.warmOpens, opens: N.opens, keys: N.keys, completions: N.completions } },
  { label: 'big', name: `generated (${big.text.split('\n').length} lines, ${big.tasks} tasks)`, text: big.text, n: { warm: N.bigWarm, warmOpens: N.bigWarmOpens, opens: N.bigOpens, keys: N.bigKeys, completions: N.bigCompletions } },
];

const servers = [cubelab(), yamlLs()];
await Promise.all(servers.map((s) => s.start()));
const results = { CubeLab: {}, 'yaml-language-server': {} };
for (const f of files) {
  process.stderr.write(`measuring ${f.label}...\n`);
  const r = await measure(servers, f.label, f.text, f.n);
  for (const name of Object.keys(r)) results[name][f.label] = r[name];
}
await Promise.all(servers.map((s) => s.stop()));

const A = results.CubeLab, B = results['yaml-language-server'];
const rows = [];
const row = (file, what, a, b) => rows.push(`| ${file} | ${what} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(1)}x |`);
for (const f of files) {
  const a = A[f.label], b = B[f.label];
  row(f.name, `full validation (open -> diagnostics, median of ${f.n.opens})`, a.open, b.open);
  row(f.name, `keystroke -> diagnostics, median of ${f.n.keys}`, a.keyMedian, b.keyMedian);
  row(f.name, `keystroke -> diagnostics, p99 of ${f.n.keys}`, a.keyP99, b.keyP99);
  row(f.name, `completion, median of ${f.n.completions}`, a.compMedian, b.compMedian);
  row(f.name, `completion, p99 of ${f.n.completions}`, a.compP99, b.compP99);
}
console.log('\n## Language-server benchmark (ms; ratio = yaml-language-server / CubeLab, above 1x means CubeLab is faster)\n');
console.log('| file | measure | CubeLab | yaml-language-server | ratio |');
console.log('|---|---|---:|---:|---:|');
for (const r of rows) console.log(r);
console.log('');
console.log(`- ${yls.note}; given schemas/mlcube.schema.json for mlcube.yaml.`);
console.log('- CubeLab: dist/server.js with `cubelab.validation.debounceMs: 0`.');
console.log(`- Diagnostics on open: CubeLab ${A.typical.diagnostics} / ${A.big.diagnostics}, yaml-language-server ${B.typical.diagnostics} / ${B.big.diagnostics} (typical / generated). Completion items: CubeLab ${A.typical.items} / ${A.big.items}, yaml-language-server ${B.typical.items} / ${B.big.items}.`);
console.log(`- Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}${quick ? ', --quick sample sizes' : ''}.`);
const checks = [
  ['CubeLab faster on every row', rows.every((r) => parseFloat(r.split('|')[5]) > 1)],
  [`p99 keystroke -> diagnostics < 10 ms on the typical manifest (${fmt(A.typical.keyP99)} ms)`, A.typical.keyP99 < 10],
  [`p99 keystroke -> diagnostics < 100 ms on the 5,000-line manifest (${fmt(A.big.keyP99)} ms)`, A.big.keyP99 < 100],
];
console.log('');
for (const [what, ok] of checks) console.log(`- target: ${what}: ${ok ? 'met' : 'NOT met'}`);
