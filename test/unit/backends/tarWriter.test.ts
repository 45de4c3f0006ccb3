import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarOf } from '../../../client/src/backends/ssh/tarWriter';

test('the tar writer\'s archives are read by GNU tar with their modes and long paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cubelab-tar-'));
  const long = `${'d'.repeat(70)}/${'e'.repeat(70)}/file-${'f'.repeat(80)}.txt`;
  const tar = tarOf([
    { path: 'batch.sh', data: '#!/bin/bash\necho hi\n', mode: 0o700 },
    { path: 'elements/0/env', data: 'SECRET=v\n', mode: 0o600 },
    { path: 'elements/12/run.sh', data: Buffer.from([0, 1, 2, 255]), mode: 0o700 },
    { path: long, data: 'x'.repeat(1000), mode: 0o644 },
  ]);
  execFileSync('tar', ['-x', '-p', '-f', '-', '-C', dir], { input: tar });
  assert.equal(readFileSync(join(dir, 'batch.sh'), 'utf8'), '#!/bin/bash\necho hi\n');
  assert.equal(statSync(join(dir, 'batch.sh')).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'elements/0/env')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'elements')).mode & 0o777, 0o700);
  assert.deepEqual([...readFileSync(join(dir, 'elements/12/run.sh'))], [0, 1, 2, 255]);
  assert.equal(readFileSync(join(dir, long), 'utf8'), 'x'.repeat(1000));
  assert.throws(() => tarOf([{ path: '../escape', data: '', mode: 0o600 }]), /not a plain relative path/);
});
