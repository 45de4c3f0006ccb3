/**
 * The two digits cubes each carry images.py and events.py: a cube's build context is its own folder, so the module cannot be
 * shared by reference. This keeps the copies from drifting apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/corpus';

test('the digits cubes carry the same images.py and events.py', () => {
  for (const file of ['images.py', 'events.py']) {
    const read = (cube: string) => readFileSync(join(repoRoot, 'examples', cube, 'cube', file), 'utf8');
    assert.equal(read('digits-detect-cube'), read('digits-cube'), file);
  }
});
