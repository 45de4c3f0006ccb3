/**
 * `cubelab check --format sarif` over the corpus, validated against the SARIF 2.1.0 JSON schema (OASIS, pinned in
 * test/fixtures/sarif/ with its source in SOURCES.tsv) with ajv, and read back: one result per diagnostic of the
 * JSON format, at the same place, with its rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { cli, layOutCorpus, removeDir, repoRoot, tempDir, writeFiles, type JsonReport } from './helpers';

const SCHEMA_DIR = join(repoRoot, 'test', 'fixtures', 'sarif');

function sarifValidator() {
  const text = readFileSync(join(SCHEMA_DIR, 'sarif-schema-2.1.0.json'), 'utf8');
  const sources = readFileSync(join(SCHEMA_DIR, 'SOURCES.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const head = sources[0];
  const row = sources.find((r) => r[head.indexOf('file')] === 'sarif-schema-2.1.0.json');
  assert.ok(row, 'SOURCES.tsv lists the schema');
  // The copy is the pinned one, unchanged.
  assert.equal(createHash('sha256').update(text).digest('hex'), row[head.indexOf('sha256')]);
  const schema = JSON.parse(text) as { $schema: string; title: string };
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.match(schema.title, /SARIF\) Version 2\.1\.0 JSON Schema/);
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; rules: { id: string; defaultConfiguration: { level: string }; fullDescription?: { text: string } }[] } };
    artifacts: { location: { uri: string; uriBaseId?: string } }[];
    originalUriBaseIds: Record<string, { uri: string }>;
    invocations: { executionSuccessful: boolean }[];
    results: {
      ruleId: string; ruleIndex: number; level: string; message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string; index: number }; region: { startLine: number; startColumn: number; endLine: number; endColumn: number } } }[];
    }[];
  }[];
}

test('check --format sarif over the corpus: valid SARIF 2.1.0, one result per diagnostic, rules from the code tables', async (t) => {
  const validate = sarifValidator();
  const root = tempDir('sarif');
  t.after(() => removeDir(root));
  layOutCorpus(root);
  const [sarifRun, jsonRun] = await Promise.all([cli(['check', '--format', 'sarif'], { cwd: root }), cli(['check', '--format', 'json'], { cwd: root })]);
  assert.equal(sarifRun.code, 1, sarifRun.stderr);
  const log = JSON.parse(sarifRun.stdout) as SarifLog;
  const ok = validate(log);
  assert.ok(ok, `not valid SARIF 2.1.0: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}`);
  // The validator does refuse what is not SARIF: a result without its message, a level SARIF does not have.
  const broken = JSON.parse(sarifRun.stdout) as SarifLog;
  (broken.runs[0].results[0] as { message?: unknown }).message = undefined;
  delete (broken.runs[0].results[0] as { message?: unknown }).message;
  broken.runs[0].results[1].level = 'fatal';
  assert.equal(validate(broken), false);
  assert.ok(validate.errors?.some((e) => /message/.test(e.message ?? '')) && validate.errors?.some((e) => e.keyword === 'enum'), JSON.stringify(validate.errors));
  assert.equal(log.version, '2.1.0');
  const run = log.runs[0];
  assert.equal(run.tool.driver.name, 'CubeLab');
  assert.ok(run.invocations[0].executionSuccessful);
  assert.ok(run.originalUriBaseIds['%SRCROOT%'].uri.startsWith('file://'));

  const json = JSON.parse(jsonRun.stdout) as JsonReport;
  assert.equal(run.results.length, json.diagnostics.length);
  assert.equal(run.artifacts.length, json.files.length);
  const level = (s: string) => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  const want = json.diagnostics.map((d) => [d.file, d.line, d.column, d.endLine, d.endColumn, level(d.severity), d.code, d.message].join('|')).sort();
  const got = run.results.map((r) => {
    const loc = r.locations[0].physicalLocation;
    assert.equal(run.artifacts[loc.artifactLocation.index].location.uri, loc.artifactLocation.uri);
    assert.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
    return [decodeURIComponent(loc.artifactLocation.uri), loc.region.startLine, loc.region.startColumn, loc.region.endLine, loc.region.endColumn, r.level, r.ruleId, r.message.text].join('|');
  }).sort();
  assert.deepEqual(got, want);
  // Every rule of a code in the tables carries its doc; the legacy code is an info (a note).
  const legacy = run.tool.driver.rules.find((r) => r.id === 'mlcube/legacy-v1');
  assert.equal(legacy?.defaultConfiguration.level, 'note');
  assert.ok(run.tool.driver.rules.every((r) => r.fullDescription?.text), 'every reported code is in a code table');
  console.log(`sarif: ${run.results.length} results, ${run.tool.driver.rules.length} rules, ${run.artifacts.length} artifacts validated`);
});

test('check --format sarif: valid with no result, with a file outside the current folder, and with a missing path', async (t) => {
  const validate = sarifValidator();
  const dir = tempDir('sarif-empty');
  t.after(() => removeDir(dir));
  writeFiles(dir, { 'cube/mlcube.yaml': 'name: ok\ndocker:\n  image: busybox\ntasks:\n  t: {}\n', 'notes.yaml': 'a: 1\n' });
  const empty = await cli(['check', '--format', 'sarif', 'notes.yaml'], { cwd: dir });
  assert.equal(empty.code, 0);
  assert.ok(validate(JSON.parse(empty.stdout)), JSON.stringify(validate.errors));
  const outside = await cli(['check', '--format', 'sarif', join(dir, 'cube'), 'missing-folder'], { cwd: repoRoot });
  assert.equal(outside.code, 2, 'a missing path is an I/O error');
  const log = JSON.parse(outside.stdout) as SarifLog;
  assert.ok(validate(log), JSON.stringify(validate.errors));
  assert.equal(log.runs[0].invocations[0].executionSuccessful, false);
  assert.match(log.runs[0].artifacts[0].location.uri, /^file:\/\/.*\/cube\/mlcube\.yaml$/);
});
