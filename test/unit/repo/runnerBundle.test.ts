/**
 * dist/runner.js (built by `npm test` before the tiers, or `npm run build`) leaves out dockerode's BuildKit code:
 * gRPC and protobufjs are never used by CubeLab (classic builds, modem.followProgress), and were about 400 KB of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

for (const bundle of ['runner.js', 'cli.js']) {
  test(`dist/${bundle} holds no gRPC or protobufjs code, and still loads`, () => {
    const file = join(root, 'dist', bundle);
    assert.ok(existsSync(file), `${file} is missing: run npm run build`);
    const text = readFileSync(file, 'utf8');
    for (const pkg of ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs']) {
      assert.ok(!text.includes(`node_modules/${pkg}/`), `${bundle} bundles ${pkg}`);
    }
    assert.ok(text.includes('(BuildKit) is not bundled with CubeLab'), 'the stub that replaces it is there');
  });
}

test('the runner bundle loads and exposes the Docker backend', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(root, 'dist', 'runner.js')) as Record<string, unknown>;
  assert.equal(typeof mod.Supervisor, 'function');
});
