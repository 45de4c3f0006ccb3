/**
 * package.json's contributions hold together: every command a menu, keybinding, welcome view or walkthrough
 * names is contributed and registered by the client; every context key a `when` clause reads is set by the
 * client; commands that run something are offered only in a trusted workspace; settings are typed as what they
 * hold; walkthrough media exist and are packaged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

interface MenuEntry { command: string; when?: string; group?: string }
interface Command { command: string; title: string; category?: string }
interface Pkg {
  activationEvents: string[];
  capabilities: { virtualWorkspaces: boolean | { supported: boolean | string } };
  contributes: {
    commands: Command[];
    menus: Record<string, MenuEntry[]>;
    keybindings: { command: string; when?: string }[];
    viewsWelcome: { view: string; contents: string; when?: string }[];
    views: Record<string, { id: string }[]>;
    walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown?: string }; completionEvents?: string[] }[] }[];
    taskDefinitions: { type: string }[];
    configuration: { properties: Record<string, Setting> };
  };
}
interface Setting { type?: string | string[]; default?: unknown; scope?: string; items?: Setting; properties?: Record<string, Setting> }

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Pkg;
const c = pkg.contributes;
const contributed = new Set(c.commands.map((x) => x.command));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const clientFiles = sources(join(root, 'client', 'src')).map((f) => readFileSync(f, 'utf8'));
const clientText = clientFiles.join('\n');

/** Registered by the client: `registerCommand('id', ...)`, or a template `cubelab.review.${c}` over a list holding 'last'. */
function registered(id: string): boolean {
  if (clientText.includes(`registerCommand('${id}'`)) return true;
  const dot = id.lastIndexOf('.');
  const prefix = id.slice(0, dot);
  const last = id.slice(dot + 1);
  return clientFiles.some((t) => t.includes(`registerCommand(\`${prefix}.\${`) && t.includes(`'${last}'`));
}

/** Commands of VS Code itself that welcome views and walkthroughs may link to. */
const builtIn = (id: string) => /^(workbench|editor|vscode)\./.test(id);

const allMenuEntries = (): [string, MenuEntry][] => Object.entries(c.menus).flatMap(([menu, entries]) => entries.map((e): [string, MenuEntry] => [menu, e]));
const commandLinks = (text: string) => [...text.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]!);

test('every command in menus and keybindings is contributed and registered by the client', () => {
  for (const [menu, e] of allMenuEntries()) assert.ok(contributed.has(e.command), `${menu} names ${e.command}, not in contributes.commands`);
  for (const k of c.keybindings) assert.ok(contributed.has(k.command), `keybinding for ${k.command}, not contributed`);
  for (const cmd of c.commands) assert.ok(registered(cmd.command), `${cmd.command} is contributed but the client registers no such command`);
});

test('welcome views and walkthrough steps link to commands that exist', () => {
  const texts = [...c.viewsWelcome.map((w) => w.contents), ...c.walkthroughs.flatMap((w) => w.steps.map((s) => s.description))];
  for (const text of texts) {
    for (const id of commandLinks(text)) assert.ok(builtIn(id) || contributed.has(id), `link to ${id} in "${text.slice(0, 60)}…"`);
  }
  const views = new Set(Object.values(c.views).flat().map((v) => v.id));
  for (const w of c.viewsWelcome) assert.ok(views.has(w.view), `welcome for unknown view ${w.view}`);
});

test('every cubelab.* context key a when clause reads is set by the client, and document kinds are real kinds', () => {
  const clauses = [...allMenuEntries().map(([, e]) => e.when ?? ''), ...c.keybindings.map((k) => k.when ?? ''), ...c.viewsWelcome.map((w) => w.when ?? ''),
    ...c.walkthroughs.flatMap((w) => w.steps.flatMap((s) => (s.completionEvents ?? []).filter((e) => e.startsWith('onContext:')).map((e) => e.slice('onContext:'.length))))];
  // A key is the left operand: at the start, or after !, &&, || or (. `view == cubelab.runs` compares with a view id.
  const keys = new Set(clauses.flatMap((w) => [...w.matchAll(/(?:^|[!(]|&&|\|\|)\s*(cubelab\.[\w.]+)/g)].map((m) => m[1]!)));
  assert.ok(keys.has('cubelab.documentKind') && keys.has('cubelab.endpoint.running'), `keys read: ${[...keys].join(', ')}`);
  for (const key of keys) {
    assert.ok(new RegExp(`setContext', '${key.replace(/\./g, '\\.')}'`).test(clientText) || (key === 'cubelab.documentKind' && clientText.includes("DOCUMENT_KIND_CONTEXT = 'cubelab.documentKind'")),
      `${key} is read by a when clause but the client never sets it`);
  }
  const protocol = readFileSync(join(root, 'shared', 'lsp-protocol.ts'), 'utf8');
  const union = /export type DocumentKind =([\s\S]*?);/.exec(protocol)?.[1] ?? '';
  const kinds = new Set([...union.matchAll(/'([\w-]+)'/g)].map((m) => m[1]!));
  assert.ok(kinds.has('mlcube') && kinds.has('mlgym-gs'), 'DocumentKind read from shared/lsp-protocol.ts');
  for (const w of clauses) {
    for (const m of w.matchAll(/cubelab\.documentKind\s*==\s*([\w-]+)/g)) assert.ok(kinds.has(m[1]!), `${m[1]} is not a DocumentKind (${w})`);
  }
});

test('commands appear where they can act: Run Task on a manifest in a trusted workspace, Preview Grid on a grid search, Stop Endpoint while it runs', () => {
  const palette = (id: string) => c.menus.commandPalette!.find((e) => e.command === id)?.when ?? '';
  assert.match(palette('cubelab.runTask'), /cubelab\.documentKind == mlcube\b/);
  assert.match(palette('cubelab.runTask'), /isWorkspaceTrusted/);
  assert.match(palette('cubelab.previewGrid'), /cubelab\.documentKind == mlgym-gs/);
  assert.equal(palette('cubelab.endpoint.stop'), 'cubelab.endpoint.running');
  const title = c.menus['editor/title'] ?? [];
  assert.ok(title.some((e) => e.command === 'cubelab.runTask' && /documentKind == mlcube\b/.test(e.when ?? '') && /isWorkspaceTrusted/.test(e.when ?? '') && e.group?.startsWith('navigation')), 'Run in the editor title');
  assert.ok(title.some((e) => e.command === 'cubelab.previewGrid' && /documentKind == mlgym-gs/.test(e.when ?? '')), 'Preview Grid in the editor title');
  const explorer = c.menus['explorer/context'] ?? [];
  assert.ok(explorer.some((e) => e.command === 'cubelab.runTask' && (e.when ?? '').includes('mlcube')), 'Run Task on manifests in the Explorer');
  assert.ok(explorer.some((e) => e.command === 'cubelab.openMetrics' && (e.when ?? '').includes('event_storage.log')), 'Open Metrics on event storages in the Explorer');
});

test('a command that needs trust in one menu needs it in every menu that shows it', () => {
  const needsTrust = new Set(allMenuEntries().filter(([, e]) => /(^|&&\s*)isWorkspaceTrusted\b/.test(e.when ?? '')).map(([, e]) => e.command));
  for (const [menu, e] of allMenuEntries()) {
    if (!needsTrust.has(e.command) || e.when === 'false') continue;
    // Review panel and view-item entries of the same command may differ in what they act on, never in trust.
    assert.ok(/isWorkspaceTrusted/.test(e.when ?? ''), `${e.command} in ${menu} shows without isWorkspaceTrusted (${e.when ?? 'always'})`);
  }
});

test('settings are typed as they are: integers as integer, runs.folder per workspace folder; onTaskType; virtual workspaces declared', () => {
  const numbers: string[] = [];
  const walk = (name: string, s: Setting) => {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.includes('number') && Number.isInteger(s.default)) numbers.push(name);
    if (s.items) walk(`${name}[]`, s.items);
    for (const [k, v] of Object.entries(s.properties ?? {})) walk(`${name}.${k}`, v);
  };
  for (const [k, v] of Object.entries(c.configuration.properties)) walk(k, v);
  assert.deepEqual(numbers, [], 'settings of type number with an integer default (counts, ports, sizes, durations are integers)');
  assert.equal(c.configuration.properties['cubelab.runs.folder']?.scope, 'resource');
  for (const t of c.taskDefinitions) assert.ok(pkg.activationEvents.includes(`onTaskType:${t.type}`), `onTaskType:${t.type}`);
  const vw = pkg.capabilities.virtualWorkspaces;
  assert.equal(typeof vw === 'object' ? vw.supported : vw, false, 'virtual workspaces are declared unsupported (CubeLab needs files on disk)');
});

test('the walkthrough\'s media exist, are Markdown, and are packaged', () => {
  const ignore = readFileSync(join(root, '.vscodeignore'), 'utf8').split('\n');
  const steps = c.walkthroughs.flatMap((w) => w.steps);
  assert.deepEqual(steps.map((s) => s.id), ['openDemo', 'fixProblem', 'runTask', 'watchMetrics', 'modelCard']);
  for (const s of steps) {
    const md = s.media.markdown;
    assert.ok(md && md.endsWith('.md'), `${s.id}: Markdown media`);
    assert.ok(existsSync(join(root, md)), `${md} exists`);
    assert.ok(readFileSync(join(root, md), 'utf8').startsWith('# '), `${md} has a title`);
    const dir = md.slice(0, md.lastIndexOf('/'));
    assert.ok(ignore.includes(`!${dir}/*.md`) || ignore.includes(`!${dir}/**`), `${md} is packaged (.vscodeignore)`);
  }
});
