import { test } from 'node:test';
import assert from 'node:assert/strict';
import table from '../../fixtures/mlgym/corpus-table.json';
import { corpusFiles, readCorpus, reportChecked } from '../../helpers/corpus';
import { ctxWith, open, validate } from './helpers';

interface Row { file: string; kind: string; status: 'valid' | 'stale'; errors: { code: string; line: number; text: string }[]; reason: string }
const rows = table as Row[];
const configs = new Map(corpusFiles('mlgym/configs').map((f) => [f.name, f]));

test('the table covers every corpus config, each with a reason', () => {
  assert.deepEqual(rows.map((r) => r.file).sort(), [...configs.keys()].sort());
  reportChecked('MLgym configs in the expectations table', configs.size);
  for (const r of rows) {
    assert.ok(r.reason.length > 20, `${r.file} has a reason`);
    assert.equal(r.status === 'stale', r.errors.length > 0, `${r.file}: stale exactly when errors are listed`);
  }
  assert.ok(rows.filter((r) => r.status === 'valid').length >= 15);
  assert.ok(rows.some((r) => r.errors.some((e) => e.text === 'train_split_name')));
});

for (const r of rows) {
  test(`corpus ${r.file.replace('mlgym+mlgym__', '')}: ${r.status}`, () => {
    const f = configs.get(r.file);
    if (!f) assert.fail(`${r.file} is in corpus-table.json but not in the corpus's SOURCES.tsv`);
    const text = readCorpus(f);
    // A virtual path under the corpus name: the real folder holds no sibling gs_config files.
    const path = `/corpus/${r.file.replace('mlgym+mlgym__', '').replace(/__/g, '/')}`;
    const ctx = ctxWith();
    assert.equal(open(path, text, ctx).kind, r.kind);
    const lines = text.split('\n');
    const errors = validate(path, text, ctx).filter((d) => d.severity === 1).map((d) => ({
      code: String(d.code), line: d.range.start.line + 1,
      text: lines[d.range.start.line].slice(d.range.start.character, d.range.end.line === d.range.start.line ? d.range.end.character : undefined),
    }));
    assert.deepEqual(errors, r.errors);
  });
}
