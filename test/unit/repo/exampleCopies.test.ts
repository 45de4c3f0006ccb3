/**
 * The two digits cubes each carry images.py: a cube's build context is its own folder, so the module cannot be
 * shared by reference. This keeps the copies from drifting apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/corpus';

test('the digits cubes carry the same images.py', () => {
  const read = (cube: string) => readFileSync(join(repoRoot, 'examples', cube, 'cube', 'images.py'), 'utf8');
  assert.equal(read('digits-detect-cube'), read('digits-cube'));
});
