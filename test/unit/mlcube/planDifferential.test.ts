/**
 * The planner against mlcube's own code on hand-made manifests that exercise what the corpus rarely does:
 * overrides, run flags, GPUs, entrypoints, opts, escapes, custom workspaces, and the errors. The expected
 * `docker run` lines and errors in planDifferential.fixture.json were produced by running mlcube HEAD's Python
 * code (see `_about` in the fixture); here each case is laid out in a temp root and planned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';
import { loadManifest } from '../../../server/src/mlcube/planning/manifest';
import { planFromManifest } from '../../../server/src/mlcube/plan';
import { nodeFileAccess } from '../../../server/src/nodeFileAccess';

interface Case {
  name: string; manifest: string; task: string; args: string[]; workspace: 'custom' | null; files: string[]; dirs: string[];
  expected: { ok: true; command: string } | { ok: false; error: string; msg: string };
}
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'planDifferential.fixture.json'), 'utf8')) as { cases: Case[] };

test('docker run lines and errors match mlcube HEAD on the differential cases', () => {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cubelab-plan-diff-')));
  const problems: string[] = [];
  let commands = 0;
  try {
    fixture.cases.forEach((c, i) => {
      const root = path.join(tmp, String(i));
      fs.mkdirSync(path.join(root, 'workspace'), { recursive: true });
      for (const f of c.files) { fs.mkdirSync(path.dirname(path.join(root, 'workspace', f)), { recursive: true }); fs.writeFileSync(path.join(root, 'workspace', f), ''); }
      for (const d of c.dirs) fs.mkdirSync(path.join(root, 'workspace', d), { recursive: true });
      const sub = (s: string): string => s.split('@ROOT@').join(root);
      const loaded = loadManifest(parseYaml(sub(c.manifest)));
      if (!loaded.ok) { problems.push(`${i} ${c.name}: cannot load: ${loaded.error}`); return; }
      const r = planFromManifest(loaded.value, {
        manifestPath: path.join(root, 'mlcube.yaml'), task: c.task, overrides: c.args.map(sub),
        workspace: c.workspace ? path.join(root, 'custom_ws') : undefined,
        env: { HOME: path.join(root, 'home'), MYVAR: 'myval' }, fs: nodeFileAccess, keyOrder: loaded.keyOrder, keyTypes: loaded.keyTypes,
      });
      const e = c.expected;
      const label = `${i} ${c.name} ${JSON.stringify(c.args)}`;
      if (e.ok) {
        commands++;
        if (!r.ok) problems.push(`${label}: expected ${e.command}\n   got error ${r.error}`);
        else if (r.plan.platforms.docker.command !== sub(e.command)) problems.push(`${label}:\n   want ${sub(e.command)}\n   got  ${r.plan.platforms.docker.command}`);
        return;
      }
      if (r.ok) { problems.push(`${label}: expected ${e.error}: ${e.msg}, got ${r.plan.platforms.docker.command}`); return; }
      // mlcube wraps mount errors in an ExecutionError whose context holds the ConfigurationError text.
      if (e.error === 'ExecutionError') {
        if (r.error !== `ConfigurationError: ${sub(e.msg)}`) problems.push(`${label}:\n   want ConfigurationError: ${sub(e.msg)}\n   got  ${r.error}`);
      } else if (e.error === 'RuntimeError') {
        if (r.code !== 'task') problems.push(`${label}: want a task error, got ${r.code}: ${r.error}`);
      } else if (!r.error.startsWith(`${e.error}: ${sub(e.msg)}`)) {
        problems.push(`${label}:\n   want ${e.error}: ${sub(e.msg)}\n   got  ${r.error}`);
      }
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(problems, []);
  assert.equal(fixture.cases.length, 46);
  assert.equal(commands, 24);
});
