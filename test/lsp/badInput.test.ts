import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LspClient } from '../helpers/lspClient';

let lsp: LspClient;
before(async () => { lsp = await LspClient.start({ settings: { validation: { debounceMs: 0 } } }); });
after(async () => { await lsp.stop(); });

test('an empty mlcube.yaml gets one clear diagnostic', async () => {
  const ds = await lsp.diagnosticsFor(lsp.open('/tmp/cubelab-bad/empty/mlcube.yaml', ''));
  assert.equal(ds.length, 1);
  assert.match(ds[0].message, /empty/);
});

test('a binary file named mlcube.yaml does not crash the server', async () => {
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
  const ds = await lsp.diagnosticsFor(lsp.open('/tmp/cubelab-bad/binary/mlcube.yaml', bytes.toString('latin1')));
  assert.ok(Array.isArray(ds));
  assert.ok(lsp.alive, 'server still running');
});

test('a 5 MB manifest is validated and the server stays responsive', async () => {
  const lines = ['name: big', 'docker:', '  image: busybox', 'tasks:'];
  let i = 0, size = 0;
  while (size < 5_000_000) {
    size += 200;
    lines.push(`  task${i}:`, '    parameters:', '      inputs:', `        data: {type: directory, default: data/${i}/}`, '      outputs:', `        out: {type: directory, default: out/${i}/}`);
    i += 1;
  }
  lines.push('  task0: {}');
  const t0 = Date.now();
  const ds = await lsp.diagnosticsFor(lsp.open('/tmp/cubelab-bad/big/mlcube.yaml', lines.join('\n') + '\n'), 30_000);
  assert.ok(ds.some((d) => d.code === 'duplicate-key'), 'the duplicate at the end is found');
  assert.ok(lsp.alive);
  const kind = await lsp.request<{ kind: string }>('cubelab/documentKind', { uri: 'file:///tmp/cubelab-bad/empty/mlcube.yaml' });
  assert.equal(kind.kind, 'mlcube');
  console.log(`5 MB manifest validated in ${Date.now() - t0} ms`);
});
