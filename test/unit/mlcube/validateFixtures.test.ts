/**
 * Fixtures for the warnings docs/mlcube.md describes but the real corpus lacks (test/fixtures/mlcube/).
 * Each fixture marks what it expects with `# expect-next-line: CODE "exact text"` comments: a diagnostic
 * with that code must cover exactly that text on the next line, and no unmarked diagnostic may appear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { validateManifest } from '../../../server/src/mlcube/validate';
import { context, doc } from '../../helpers/service';

const DIR = join(__dirname, '..', '..', 'fixtures', 'mlcube');

interface Mark { line: number; code: string; text: string }

function marks(text: string): Mark[] {
  const out: Mark[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /#\s*expect-next-line:\s*(\S+)\s+"(.*)"\s*$/.exec(l);
    if (m) out.push({ line: i + 1, code: m[1], text: m[2] });
  });
  return out;
}

const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

test('there are fixtures, and each one expects something', () => {
  assert.ok(files.length >= 9);
  for (const f of files) assert.ok(marks(fs.readFileSync(join(DIR, f), 'utf8')).length > 0, f);
});

for (const f of files) {
  test(`fixture ${f}`, () => {
    const path = join(DIR, f);
    const text = fs.readFileSync(path, 'utf8');
    const lines = text.split('\n');
    const ctx = context({ env: { HOME: '/home/user' } });
    const d = doc(path, text, ctx);
    assert.equal(d.kind, 'mlcube');
    const ds = validateManifest(d, ctx);
    const want = marks(text);
    const seen = new Set<number>();
    for (const w of want) {
      const i = ds.findIndex((x, k) => !seen.has(k) && x.code === w.code && x.range.start.line === w.line && x.range.end.line === w.line
        && lines[w.line].slice(x.range.start.character, x.range.end.character) === w.text);
      assert.ok(i >= 0, `${f}:${w.line + 1}: expected ${w.code} on "${w.text}"; got ${JSON.stringify(ds.map((x) => [x.code, x.range.start.line, lines[x.range.start.line]?.slice(x.range.start.character, x.range.end.character)]))}`);
      seen.add(i);
      assert.ok(ds[i].message.length > 40, 'the message explains what mlcube does');
    }
    const extra = ds.filter((_, k) => !seen.has(k)).map((x) => `${x.code} at ${x.range.start.line + 1}: ${x.message}`);
    assert.deepEqual(extra, [], `${f}: unexpected diagnostics`);
  });
}
