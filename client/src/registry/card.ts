/**
 * The model card published with a cube: `README.md` with YAML front matter (name, version, tasks, license,
 * source, revision, image, and metrics where an MLgym run produced them), then the author's README (or a short
 * generated one). The card pulled from a registry is shown as plain text: never rendered as Markdown.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { parseLine } from '../events/lineScan';
import { normalize } from '../events/normalize';

export interface CardMetric { name: string; split: string; value: number; epoch: number; kind: 'metric' | 'loss' }

export interface CardFields {
  name: string;
  version: string;
  description?: string;
  tasks: string[];
  license?: string;
  source?: string;
  revision?: string;
  authors?: string;
  image: string;
  created: string;
  metrics?: CardMetric[];
}

/** Splits `---\n<yaml>\n---\n<body>` (front matter absent: all body). */
export function splitFrontMatter(text: string): { front: Record<string, unknown>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) return { front: {}, body: text };
  let front: Record<string, unknown> = {};
  try {
    const v = YAML.parse(m[1] ?? '', { maxAliasCount: 50 }) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) front = v as Record<string, unknown>;
  } catch { /* a broken front matter counts as none */ }
  return { front, body: text.slice(m[0].length) };
}

/** The card's text: CubeLab's fields over the author's own front matter, then the author's body. */
export function buildCard(fields: CardFields, readme?: string): string {
  const { front, body } = splitFrontMatter(readme ?? '');
  const ours: Record<string, unknown> = {
    name: fields.name, version: fields.version,
    ...(fields.description ? { description: fields.description } : {}),
    tasks: fields.tasks,
    ...(fields.license ?? front.license ? { license: fields.license ?? front.license } : {}),
    ...(fields.source ? { source: fields.source } : {}),
    ...(fields.revision ? { revision: fields.revision } : {}),
    ...(fields.authors ? { authors: fields.authors } : {}),
    image: fields.image,
    created: fields.created,
    ...(fields.metrics?.length ? { metrics: fields.metrics.map((m) => ({ name: m.name, split: m.split, value: m.value, epoch: m.epoch })) } : {}),
  };
  const merged = { ...front, ...ours };
  const text = body.trim() ? body : generatedBody(fields);
  return `---\n${YAML.stringify(merged, { lineWidth: 0 }).trimEnd()}\n---\n${text.endsWith('\n') ? text : `${text}\n`}`;
}

function generatedBody(f: CardFields): string {
  const lines = [`# ${f.name}`, ''];
  if (f.description) lines.push(f.description, '');
  lines.push('## Tasks', '', ...f.tasks.map((t) => `- ${t}`), '');
  if (f.metrics?.length) {
    lines.push('## Metrics', '', '| name | split | value | epoch |', '|---|---|---:|---:|');
    for (const m of f.metrics) lines.push(`| ${m.name} | ${m.split} | ${m.value} | ${m.epoch} |`);
    lines.push('');
  }
  lines.push(`Image: \`${f.image}\``, '');
  return lines.join('\n');
}

/** The fields the Registries view shows from a pulled card (untrusted: only strings and string lists kept). */
export function cardSummary(text: string): { name?: string; version?: string; license?: string; tasks: string[]; body: string } {
  const { front, body } = splitFrontMatter(text);
  const s = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 200) : typeof v === 'number' ? String(v) : undefined);
  const tasks = Array.isArray(front.tasks) ? front.tasks.map(s).filter((t): t is string => !!t).slice(0, 1000) : [];
  const name = s(front.name), version = s(front.version), license = s(front.license);
  return { ...(name ? { name } : {}), ...(version ? { version } : {}), ...(license ? { license } : {}), tasks, body };
}

/**
 * The final metrics of the newest MLgym event storage under `workspace` (`event_storage.log`, docs/mlgym.md
 * §3.2–3.3): per metric or loss and split, the score of the last epoch evaluated. Bounded: 4 levels of
 * folders, the newest log, its first 64 MiB.
 */
export async function mlgymMetrics(workspace: string): Promise<CardMetric[]> {
  const logs: { path: string; mtime: number }[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > 4 || logs.length > 200) return;
    let list;
    try { list = await readdir(dir, { withFileTypes: true }); } catch { return; }
    for (const d of list) {
      if (d.name === 'node_modules' || d.name === '.cubelab' || d.name === 'additional_files') continue;
      const p = join(dir, d.name);
      if (d.isDirectory()) await visit(p, depth + 1);
      else if (d.isFile() && d.name === 'event_storage.log') { try { logs.push({ path: p, mtime: (await stat(p)).mtimeMs }); } catch { /* gone */ } }
    }
  };
  await visit(workspace, 0);
  const newest = logs.sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest) return [];
  let text: string;
  try {
    const buf = await readFile(newest.path);
    text = buf.subarray(0, 64 << 20).toString('utf8');
  } catch { return []; }
  const last = new Map<string, CardMetric>();
  for (const line of text.split('\n')) {
    if (!line.includes('evaluation_result')) continue;
    const parsed = parseLine(line);
    if (!('value' in parsed)) continue;
    const n = normalize(parsed.value);
    if (n.ok !== true || n.event.type !== 'evaluation_result') continue;
    for (const s of n.event.scores) {
      if (typeof s.score !== 'number') continue;
      const key = `${s.kind}\0${s.tag}\0${s.split}`;
      const prev = last.get(key);
      if (!prev || n.event.epoch >= prev.epoch) last.set(key, { name: s.tag, split: s.split, value: s.score, epoch: n.event.epoch, kind: s.kind });
    }
  }
  return [...last.values()].sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) || a.split.localeCompare(b.split) : a.kind === 'metric' ? -1 : 1));
}
