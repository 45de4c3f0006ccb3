/**
 * The additional files' tarball: packed reproducibly (same folder, same digest), read back by the defensive
 * extractor the ingest worker runs (long names through pax headers), which refuses links, devices, absolute
 * and `..` paths and duplicate entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { tempDir } from './helpers';
import { packFolder } from '../../client/src/registry/tarball';
import { TarExtractor, UnsafeTarError, entryPath } from '../../client/src/registry/tarExtract';

async function tarOf(entries: { name: string; type?: tar.Headers['type']; body?: string; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((r) => pack.on('end', r));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}) }, e.body ?? '', (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

function extract(data: Buffer, dir: string, chunk = 777): string[] {
  const x = new TarExtractor(dir);
  try {
    for (let i = 0; i < data.length; i += chunk) x.push(data.subarray(i, i + chunk));
    x.end();
  } catch (e) { x.abort(); throw e; }
  return x.files.sort();
}

test('packing is reproducible; extraction gives the files back (long names included), fed in odd-sized chunks', async () => {
  const dir = tempDir('tar');
  const src = join(dir, 'src');
  const long = `${'deep/'.repeat(30)}name-${'x'.repeat(120)}.txt`;
  mkdirSync(join(src, ...long.split('/').slice(0, -1)), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'alpha\n');
  writeFileSync(join(src, long), 'long\n');
  writeFileSync(join(src, 'empty'), '');
  const one = await packFolder(src, join(dir, 'one.tar'));
  const two = await packFolder(src, join(dir, 'two.tar'));
  assert.equal(one.digest, two.digest, 'same folder, same digest');
  assert.equal(one.files, 3);
  const files = extract(readFileSync(join(dir, 'one.tar')), join(dir, 'out'));
  assert.deepEqual(files, ['a.txt', long, 'empty'].sort());
  assert.equal(readFileSync(join(dir, 'out', long), 'utf8'), 'long\n');
  assert.equal(readFileSync(join(dir, 'out', 'empty'), 'utf8'), '');
});

test('links, devices, absolute and ".." paths, and an entry written twice are refused', async () => {
  const dir = tempDir('tar-bad');
  const cases: [string, Parameters<typeof tarOf>[0], RegExp][] = [
    ['symlink', [{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }], /"link", a symbolic link: only files and folders are extracted; refused/],
    ['hardlink', [{ name: 'a', body: 'x' }, { name: 'b', type: 'link', linkname: 'a' }], /"b", a hard link/],
    ['device', [{ name: 'dev', type: 'character-device' }], /"dev", a character device/],
    ['fifo', [{ name: 'pipe', type: 'fifo' }], /"pipe", a FIFO/],
    ['dotdot', [{ name: '../escape.txt', body: 'x' }], /unsafe path \("\.\.\/escape\.txt"\)/],
    ['absolute', [{ name: '/tmp/escape.txt', body: 'x' }], /unsafe path/],
    ['twice', [{ name: 'same', body: 'x' }, { name: 'same', body: 'y' }], /EEXIST/],
  ];
  for (const [name, entries, re] of cases) {
    const out = join(dir, name);
    const data = await tarOf(entries);
    assert.throws(() => extract(data, out), re, name);
    assert.ok(!existsSync(join(dir, 'escape.txt')), `${name}: nothing outside the target`);
  }
  assert.deepEqual(readdirSync(join(dir, 'symlink')), []);
  assert.throws(() => extract(Buffer.alloc(1024, 7), join(dir, 'garbage')), UnsafeTarError);
  const cut = (await tarOf([{ name: 'cut', body: 'x'.repeat(5000) }])).subarray(0, 2048);
  assert.throws(() => extract(cut, join(dir, 'cut')), /end in the middle of a file/);
  assert.equal(entryPath('./a/b/'), 'a/b');
  assert.throws(() => entryPath('a//b'), /unsafe path/);
});
