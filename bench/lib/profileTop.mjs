// Summarises a V8 .cpuprofile (node --cpu-prof, or Chromium's Profiler domain): total time, and the functions with
// the most self time (where the time goes) and with the most total time (what calls it), as text.
// Usage: node bench/lib/profileTop.mjs <file.cpuprofile> [count=25]
import { readFileSync } from 'node:fs';

export function summariseProfile(profile, count = 25) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const dts = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dts[i] ?? 0) / 1000);
  const name = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.replace(/^.*\/(node_modules\/)?/, (m, nm) => (nm ? 'node_modules/' : '')).replace(/^file:\/\//, '') : '';
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  const bySelf = new Map();
  const byTotal = new Map();
  let total = 0;
  for (const [id, ms] of self) {
    total += ms;
    const n = nodes.get(id);
    bySelf.set(name(n), (bySelf.get(name(n)) ?? 0) + ms);
    // Total: counted once per distinct function on the stack.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(nodes.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      byTotal.set(k, (byTotal.get(k) ?? 0) + ms);
    }
  }
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([k, ms]) => `${ms.toFixed(1).padStart(9)} ms ${(100 * ms / total).toFixed(1).padStart(5)} %  ${k}`).join('\n');
  return `sampled ${total.toFixed(0)} ms\n\nself time:\n${top(bySelf)}\n\ntotal time (the function and what it calls):\n${top(byTotal)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  process.stdout.write(summariseProfile(JSON.parse(readFileSync(process.argv[2], 'utf8')), Number(process.argv[3] ?? 25)));
}
