// File paths <-> file: URIs (shared/fileUri.ts): Windows drives, UNC shares and POSIX paths, and go to
// definition on gs_config_path in a Windows workspace (it used to answer `file://c:/…`, a URI whose host is `c:`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caret } from '../../helpers/caret';
import { fileUriToPath, pathToFileUri, toPlatformPath, uriBaseName } from '../../../shared/fileUri';
import { analyze } from '../../../server/src/service/languageService';
import { mlgymRunProvider } from '../../../server/src/mlgym/provider';
import { gsConfigCandidates } from '../../../server/src/mlgym/validateRun';
import type { MlgymProject } from '../../../server/src/mlgym/userComponents';
import { GOOD_RUN, ctxWith, gsWith } from '../mlgym/helpers';

test('Windows drive paths: backslashes, forward slashes and either drive case give VS Code\'s URI', () => {
  assert.equal(pathToFileUri('c:\\x\\gs_config.yml', 'win32'), 'file:///c%3A/x/gs_config.yml');
  assert.equal(pathToFileUri('C:\\x\\gs_config.yml', 'win32'), 'file:///c%3A/x/gs_config.yml');
  assert.equal(pathToFileUri('C:/x/gs_config.yml', 'win32'), 'file:///c%3A/x/gs_config.yml');
  assert.equal(pathToFileUri('c:\\ws\\Ada Lovelace\\#1\\run_config.yml', 'win32'), 'file:///c%3A/ws/Ada%20Lovelace/%231/run_config.yml');
});

test('Windows drive URIs back to paths: encoded %3A, a literal colon (Node\'s form), lower-case escapes', () => {
  assert.equal(fileUriToPath('file:///c%3A/x/gs_config.yml'), 'c:/x/gs_config.yml');
  assert.equal(fileUriToPath('file:///c%3a/x/gs_config.yml'), 'c:/x/gs_config.yml');
  assert.equal(fileUriToPath('file:///c:/ws/Ada%20Lovelace/run_config.yml'), 'c:/ws/Ada Lovelace/run_config.yml');
  assert.equal(fileUriToPath('file:///d%3A'), 'd:');
  // Node's pathToFileURL on Windows: an upper-case drive and a literal colon.
  assert.equal(fileUriToPath(`file:///${'C:/ws/a%20b/run_config.yml'}`), 'C:/ws/a b/run_config.yml');
  assert.equal(toPlatformPath(fileUriToPath('file:///c%3A/x/gs_config.yml'), 'win32'), 'c:\\x\\gs_config.yml');
  // Round trip through VS Code's form.
  assert.equal(pathToFileUri(fileUriToPath('file:///c%3A/a%20b/gs_config.yml'), 'win32'), 'file:///c%3A/a%20b/gs_config.yml');
});

test('UNC paths: the server becomes the URI\'s host and comes back as //server/share', () => {
  assert.equal(pathToFileUri('\\\\server\\share\\x\\gs_config.yml', 'win32'), 'file://server/share/x/gs_config.yml');
  assert.equal(pathToFileUri('//server/share/x/gs_config.yml', 'win32'), 'file://server/share/x/gs_config.yml');
  assert.equal(fileUriToPath('file://server/share/x/gs_config.yml'), '//server/share/x/gs_config.yml');
  assert.equal(toPlatformPath(fileUriToPath('file://server/share/x/gs_config.yml'), 'win32'), '\\\\server\\share\\x\\gs_config.yml');
  // `localhost` is this machine, not a share.
  assert.equal(fileUriToPath('file://localhost/etc/x.yml'), '/etc/x.yml');
});

test('POSIX paths: reserved characters escaped, a backslash is part of the name, not a separator', () => {
  assert.equal(pathToFileUri('/w/my cube/#1/100%.yml', 'posix'), 'file:///w/my%20cube/%231/100%25.yml');
  assert.equal(fileUriToPath('file:///w/my%20cube/%231/100%25.yml'), '/w/my cube/#1/100%.yml');
  assert.equal(pathToFileUri('/tmp/a\\b.yml', 'posix'), 'file:///tmp/a%5Cb.yml');
  assert.equal(fileUriToPath('file:///tmp/a%5Cb.yml'), '/tmp/a\\b.yml');
  assert.equal(toPlatformPath('/tmp/a/b.yml', 'posix'), '/tmp/a/b.yml');
});

test('other schemes have no path; a stray % does not throw', () => {
  assert.equal(fileUriToPath('untitled:Untitled-1'), '');
  assert.equal(fileUriToPath('vscode-vfs://github/owner/repo/mlcube.yaml'), '');
  assert.equal(fileUriToPath('file:///tmp/100%.yml'), '/tmp/100%.yml');
  assert.equal(uriBaseName('file:///c%3A/ws/gs%20config.yml'), 'gs config.yml');
  assert.equal(uriBaseName('file:///tmp/100%.yml'), '100%.yml');
});

/** Go to definition on gs_config_path in a document VS Code opened as `uri`, with the given workspace folder and files. */
function gsDefinition(uri: string, folderUri: string, value: string, files: Record<string, string>): string | undefined {
  const run = caret(gsWith('./gs_config.yml', `${value.slice(0, 3)}|${value.slice(3)}`, GOOD_RUN));
  const ctx = ctxWith(files, [fileUriToPath(folderUri)]);
  const d = analyze(uri, 1, run.text, ctx);
  assert.equal(d.kind, 'mlgym-run');
  const def = mlgymRunProvider.definition!(d, d.parsed.lines.positionAt(run.offset), ctx) as { uri: string } | null;
  return def?.uri;
}

test('gs_config_path in a Windows workspace: the target is VS Code\'s URI of the file, not file://c:/…', () => {
  const files = { 'c:/ws/configs/gs_config.yml': 'x' };
  assert.equal(gsDefinition('file:///c%3A/ws/run_config.yml', 'file:///c%3A/ws', './configs/gs_config.yml', files), 'file:///c%3A/ws/configs/gs_config.yml');
  assert.equal(gsDefinition('file:///c%3A/ws/run_config.yml', 'file:///c%3A/ws', '.\\configs\\gs_config.yml', files), 'file:///c%3A/ws/configs/gs_config.yml');
  // Found through the workspace folder when the run config sits deeper than the folder MLgym starts in.
  assert.equal(gsDefinition('file:///c%3A/ws/runs/run_config.yml', 'file:///c%3A/ws', 'configs/gs_config.yml', files), 'file:///c%3A/ws/configs/gs_config.yml');
  // An absolute Windows path in the config.
  assert.equal(gsDefinition('file:///c%3A/ws/run_config.yml', 'file:///c%3A/ws', 'c:\\ws\\configs\\gs_config.yml', files), 'file:///c%3A/ws/configs/gs_config.yml');
});

test('gs_config_path on a UNC share and on POSIX', () => {
  assert.equal(gsDefinition('file://server/share/ws/run_config.yml', 'file://server/share/ws', './gs_config.yml', { '//server/share/ws/gs_config.yml': 'x' }), 'file://server/share/ws/gs_config.yml');
  assert.deepEqual(gsConfigCandidates('..\\gs_config.yml', '//server/share/ws/a/run_config.yml', {} as MlgymProject, ctxWith()), ['//server/share/ws/gs_config.yml']);
  assert.equal(gsDefinition('file:///w/my%20ws/run_config.yml', 'file:///w/my%20ws', './gs_config.yml', { '/w/my ws/gs_config.yml': 'x' }), 'file:///w/my%20ws/gs_config.yml');
});
