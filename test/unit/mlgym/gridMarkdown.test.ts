import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridMarkdown, pageCount } from '../../../client/src/mlgym/gridMarkdown';
import { expandGridRequest } from '../../../server/src/mlgym/gridRequest';
import { GOOD_GS, open, ctxWith } from './helpers';

test('the preview page: ids and the swept values as a Markdown table, paginated', () => {
  const d = open('/w/gs_config.yml', GOOD_GS);
  const r = expandGridRequest(d, { uri: d.uri, offset: 10, limit: 10 }, ctxWith());
  const md = gridMarkdown('gs_config.yml', r, 1, 10);
  assert.equal(md, [
    '# Grid search: gs_config.yml', '',
    "**15 experiments**, in MLgym's order (first key varies slowest).", '',
    'Page 2 of 2 (experiments 10–14).', '',
    '| id | `data_loaders.config.batch_size` | `optimizer.config.params.lr` |',
    '|---:|---|---|',
    '| 10 | 100 | 1 |', '| 11 | 100 | 0.1 |', '| 12 | 100 | 0.01 |', '| 13 | 100 | 0.001 |', '| 14 | 100 | 0.0001 |', '',
  ].join('\n'));
  assert.equal(pageCount(10_000_000), 100_000);
  assert.match(gridMarkdown('x.yml', { count: 0, experiments: [], error: 'boom' }, 0), /MLgym cannot expand this grid: boom/);
  assert.match(gridMarkdown('x.yml', { count: 1, experiments: [{ id: 0, config: { a: 'p|q' } }], varying: [['a']] }, 0), /\| 0 \| p\\\|q \|/);
});
