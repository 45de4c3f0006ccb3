/**
 * The interop commands in a real extension host, called as a menu or another extension calls them (the file and
 * the folder given, so no dialog opens): Import MLExchange Entry… on the registry's real dump writes one cube per
 * entry with a command, never over an existing folder, and refuses a file that is not an entry; Export as
 * MLExchange Entry… writes a valid entry that imports back to the same tasks and parameters; Pull MedPerf Cube…
 * refuses a record whose manifest does not match its hash (served by the test's own HTTP server on loopback)
 * and leaves nothing; Run with Form… on a task without a schema opens no panel.
 */
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'cubelab.cubelab';
// The bundle runs from test/integration/out/suite/: test/fixtures is three folders up.
const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'mlexchange');

let work = '';
let server: Server | undefined;
let origin = '';
const routes = new Map<string, string>();

suite('Interop commands', () => {
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    if (!ext.isActive) await ext.activate();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cubelab-interop-'));
    server = createServer((req, res) => {
      const body = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (body === undefined) { res.writeHead(404).end('not found'); return; }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  suiteTeardown(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('Import MLExchange Entry… writes a cube per entry with a command, never over an existing folder', async () => {
    const dest = path.join(work, 'imported');
    fs.mkdirSync(dest);
    const manifests = await vscode.commands.executeCommand<string[]>('cubelab.importMlexchange', path.join(FIXTURES, 'models.json'), dest);
    assert.ok(Array.isArray(manifests) && manifests.length >= 10, `cubes written: ${JSON.stringify(manifests)}`);
    const rf = manifests.find((m) => path.basename(path.dirname(m)).startsWith('random_forest'));
    assert.ok(rf, 'random_forest (§1.5) is among them');
    const manifest = fs.readFileSync(rf, 'utf8');
    assert.match(manifest, /^tasks:/m);
    const ws = path.join(path.dirname(rf), 'workspace');
    const files = fs.readdirSync(ws, { recursive: true }).map(String);
    assert.ok(files.some((f) => f.endsWith('gui_parameters.json')), `the schema beside the parameters: ${files.join(', ')}`);
    // Again into the same folder: every cube's folder exists, nothing is written over.
    const before = fs.readFileSync(rf, 'utf8');
    fs.writeFileSync(rf, `${before}# edited by the user\n`);
    const again = await vscode.commands.executeCommand<string[]>('cubelab.importMlexchange', path.join(FIXTURES, 'models.json'), dest);
    assert.deepStrictEqual(again, []);
    assert.strictEqual(fs.readFileSync(rf, 'utf8'), `${before}# edited by the user\n`);
  });

  test('Import MLExchange Entry… refuses a file that is not an entry, and writes nothing', async () => {
    const dest = path.join(work, 'not-entry');
    fs.mkdirSync(dest);
    const bad = path.join(work, 'package.json');
    fs.writeFileSync(bad, JSON.stringify({ name: 'not-an-entry', version: '1.0.0', scripts: {} }));
    const r = await vscode.commands.executeCommand<string[]>('cubelab.importMlexchange', bad, dest);
    assert.deepStrictEqual(r, []);
    assert.deepStrictEqual(fs.readdirSync(dest), []);
  });

  test('Export as MLExchange Entry… writes a valid entry that imports back to the same tasks and parameters', async () => {
    const src = path.join(work, 'export-src');
    fs.mkdirSync(src);
    const [manifest] = await vscode.commands.executeCommand<string[]>('cubelab.importMlexchange', path.join(FIXTURES, 'apps.json'), src);
    assert.ok(manifest, 'an app entry imported');
    const target = path.join(work, 'exported.json');
    const written = await vscode.commands.executeCommand<string>('cubelab.exportMlexchange', vscode.Uri.file(manifest), target);
    assert.strictEqual(written, target);
    const entry = JSON.parse(fs.readFileSync(target, 'utf8')) as { content_type?: string; name?: string; cmd?: string[] };
    assert.ok(entry.content_type === 'app' || entry.content_type === 'model', `content_type ${entry.content_type}`);
    assert.ok(entry.name && Array.isArray(entry.cmd) && entry.cmd.length > 0);
    // A path given by a caller is never overwritten.
    assert.strictEqual(await vscode.commands.executeCommand('cubelab.exportMlexchange', vscode.Uri.file(manifest), target), undefined);
    const back = path.join(work, 'reimported');
    fs.mkdirSync(back);
    const [again] = await vscode.commands.executeCommand<string[]>('cubelab.importMlexchange', target, back);
    assert.ok(again, 're-imported');
    const taskNames = (text: string) => [...text.matchAll(/^ {2}([A-Za-z0-9_-]+):\s*$/gm)].map((m) => m[1]).sort();
    assert.deepStrictEqual(taskNames(fs.readFileSync(again, 'utf8')), taskNames(fs.readFileSync(manifest, 'utf8')));
    // The same files (manifest, entry, parameters files and their descriptors) in both cubes.
    const listed = (m: string) => fs.readdirSync(path.dirname(m), { recursive: true }).map(String).sort();
    assert.deepStrictEqual(listed(again), listed(manifest));
  });

  test('Pull MedPerf Cube… refuses a record whose manifest does not match its hash, and leaves nothing', async () => {
    const manifest = 'name: tampered\ndocker:\n  image: 127.0.0.1:1/none/never-pulled:1\ntasks:\n  infer:\n    parameters:\n      outputs:\n        out: {type: directory, default: out}\n';
    routes.set('/t/mlcube.yaml', `${manifest}# tampered\n`);
    const record = {
      id: 9, name: 'tampered', git_mlcube_url: `${origin}/t/mlcube.yaml`, mlcube_hash: createHash('sha1').update(manifest).digest('hex'),
      git_parameters_url: '', parameters_hash: '', image_tarball_url: '', image_hash: 'a'.repeat(64), additional_files_tarball_url: '', additional_files_tarball_hash: '',
    };
    routes.set('/mlcubes/9/', JSON.stringify(record));
    const parent = path.join(work, 'medperf');
    fs.mkdirSync(parent);
    const dest = path.join(parent, 'cube');
    const r = await vscode.commands.executeCommand('cubelab.pullMedperf', `${origin}/mlcubes/9/`, dest);
    assert.strictEqual(r, undefined);
    assert.deepStrictEqual(fs.readdirSync(parent), [], 'no folder, no staging left');
  });

  test('Run with Form… on a task whose parameters file has no schema opens no panel', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const r = await vscode.commands.executeCommand('cubelab.runWithForm', vscode.Uri.joinPath(folder.uri, 'mlcube.yaml').toString(), 'download');
    assert.strictEqual(r, undefined);
    assert.ok(!vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('cubelab.runForm'))));
  });
});
