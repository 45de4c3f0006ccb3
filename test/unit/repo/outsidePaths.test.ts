/**
 * The repository is self-contained: no file under client/, server/, shared/, test/, bench/ or scripts/ names
 * a path outside the repository, so a clone anywhere runs the same tests on the same files. Allowed: system
 * paths, the temporary folder, paths inside containers, URL routes, and the declared virtual roots that unit
 * tests hand to in-memory file systems. A virtual root must not exist on this machine (so nothing can be
 * read from it by accident), which keeps the list honest: `/work/shared/...` can never be declared virtual on
 * a machine that has it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../../helpers/corpus';

const FOLDERS = ['client', 'server', 'shared', 'test', 'bench', 'scripts'];
/** Generated or installed content, not the project's own files. */
const SKIP_DIRS = new Set(['node_modules', 'out', 'vscode']);

const SYSTEM = ['/usr', '/etc', '/var', '/run', '/proc', '/dev', '/bin', '/sbin', '/lib', '/lib64', '/sys'];
const TEMP = ['/tmp', tmpdir()];
/**
 * Paths inside containers: MLCube's mount points, images' own folders, the container side of `-v a:b` flags,
 * and the root user's home as manifests and container flags name it (`${oc.env:HOME,/root}`, `:/root/.ssh`).
 */
const CONTAINER = [/^\/mlcube_io(\d+|N)?(\/|$)/, /^\/(workspace|mlcube_project|host|blob|secret\.txt|y|d|root|mlcube|mlcommons|app|built\.txt)(\/|$)/];
/** Host folders the host-access check (shared/docker/hostGrants.ts) names: looked for in plans, never read. */
const HOST_LAYOUT_EXACT = ['/home', '/Users', '/boot', '/lib32'];
/** The accounts of the remote test host (test/env/setup-remote.sh makes them; the remote tier and its benchmark use them). */
const REMOTE_TEST_HOST = ['/home/cubelab-remote', '/home/cubelab-pw'];
/** Placeholders in messages and docs (`/...`), path-traversal attempts the endpoint tests send, X.509 subjects (`openssl -subj /CN=…`), JSON pointers in schema messages (`/cmd`). */
const PLACEHOLDERS = [/^\/\.\.\.?(\/|$)/, /^\/CN$/, /^\/cmd$/];
/** URL paths (the endpoint's REST routes, socket.io, the registry API, webview resources, the Kubernetes API). */
const URL_ROUTES = ['/socket.io', '/grid_searches', '/checkpoint_list', '/checkpoints', '/system-info', '/favicon.ico', '/v2', '/bench', '/model-card', '/experiment_config', '/webviews', '/api', '/apis', '/version',
  // The MedPerf records and files the registry tier's own HTTP server serves.
  '/older', '/newer', '/t', '/wrongid', '/nohash', '/mlcubes'];
/**
 * Roots of the virtual file systems the pure language-service tests use (their paths are never read from
 * disk, or are read through a fake): each must not exist here.
 */
export const VIRTUAL_ROOTS = [
  '/w', '/cube', '/s', '/g', '/c', '/a', '/r', '/x', '/ws', '/root-ws', '/proj', '/project', '/cubes', '/stored', '/runs',
  '/nowhere', '/nonexistent', '/elsewhere', '/other', '/abs', '/fuzz', '/es', '/corpus', '/corpus-repos', '/home/tester',
  '/data', '/datasets', '/image', '/install', '/out', '/tasks', '/Candidate', '/c.txt', '/task.sh', '/build_strategy', '/.test', '/.exec',
  '/home/u', '/home/user', '/scratch', '/on', '/nowhere.sock', '/.cubelab', '/sel', '/staged', '/abs.png',
];

const under = (p: string, root: string): boolean => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

function allowed(p: string): boolean {
  if (SYSTEM.some((r) => under(p, r)) || TEMP.some((r) => under(p, r))) return true;
  if (CONTAINER.some((re) => re.test(p)) || PLACEHOLDERS.some((re) => re.test(p))) return true;
  if (URL_ROUTES.some((r) => under(p, r)) || REMOTE_TEST_HOST.some((r) => under(p, r)) || HOST_LAYOUT_EXACT.includes(p)) return true;
  return VIRTUAL_ROOTS.some((r) => under(p, r));
}

/** Absolute paths in a string's text: at its start, or after `file://`, `=`, `:` or whitespace. */
function pathsIn(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|file:\/\/|[\s=:,(])(\/[A-Za-z0-9_.@+-]+(?:\/[A-Za-z0-9_.@+-]*)*)/g;
  for (const m of text.matchAll(re)) {
    const p = m[1];
    if (p && p.length > 1 && !p.startsWith('//')) out.push(p);
  }
  return out;
}

/** String and template literal texts of a TypeScript/JavaScript file (comments and regexes left out). */
function literalsOf(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node)) {
      out.push(node.head.text);
      // What follows a substitution continues a path (`${dir}/x`): its start is not an absolute path, hence `x`.
      for (const span of node.templateSpans) out.push(`x${span.literal.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    if (statSync(abs).isDirectory()) { if (!SKIP_DIRS.has(name)) walk(abs, out); } else out.push(abs);
  }
}

const TEXT = /\.(ts|mts|mjs|js|cjs|sh|py|json|ya?ml|toml|txt)$/;

test('no project file names a path outside the repository', () => {
  const files: string[] = [];
  for (const f of FOLDERS) if (existsSync(join(repoRoot, f))) walk(join(repoRoot, f), files);
  const problems: string[] = [];
  let checked = 0;
  for (const abs of files.filter((f) => TEXT.test(f) && !f.includes(`${join('test', 'fixtures', 'corpus')}`))) {
    const rel = relative(repoRoot, abs);
    const text = readFileSync(abs, 'utf8');
    checked++;
    const candidates = /\.(ts|mts|mjs|js|cjs)$/.test(abs) ? literalsOf(abs, text).flatMap(pathsIn) : pathsIn(text);
    for (const p of candidates) {
      if (under(p, repoRoot)) continue; // inside the clone (only ever built at run time, but harmless)
      if (!allowed(p)) problems.push(`${rel}: ${p}`);
    }
  }
  console.log(`checked ${checked} files for outside paths`);
  assert.deepEqual([...new Set(problems)], []);
});

test('the declared virtual roots do not exist on this machine (so nothing is read from them)', () => {
  assert.deepEqual(VIRTUAL_ROOTS.filter((r) => existsSync(r)), []);
});

test('the check finds what it must: an outside path in a literal, not in a comment or a regex', () => {
  // Built from pieces, so that this file itself names no outside path.
  const [w, s] = ['/' + 'work', '/' + 'srv'];
  const sample = `// see ${w}/shared/docs\nconst a = '${w}/shared/corpus/x.yaml'; const b = /\\${w}\\//; const c = \`\${a}/opt/x\`; const d = 'file://${s}/data';`;
  const found = literalsOf('x.ts', sample).flatMap(pathsIn).filter((p) => !allowed(p));
  assert.deepEqual(found, [`${w}/shared/corpus/x.yaml`, `${s}/data`]);
});

test('under npm test, this tier runs where the clone\'s parent folder holds nothing but the clone', () => {
  const { dirname, basename } = { dirname: (p: string) => join(p, '..'), basename: (p: string) => p.split('/').pop() ?? p };
  if (process.env.CUBELAB_ISOLATED !== '1') {
    // Run by hand (node --test): say so; npm test always sets it through test/env/isolated.sh.
    console.log('not run through test/env/isolated.sh: the parent folder is not emptied in this run');
    return;
  }
  assert.deepEqual(readdirSync(dirname(repoRoot)), [basename(repoRoot)]);
});
