// yaml-language-server for the benchmark: a copy of the installed package whose hard-coded 200 ms
// validation delay (src/yamlSettings.ts `validationDelayMs = 200`) is patched to 0, so that both servers
// are timed on compute, not on waiting. The copy lives under node_modules/.cache so that its imports
// still resolve to the project's node_modules.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function patchedYamlLanguageServer(root) {
  const src = join(root, 'node_modules', 'yaml-language-server');
  if (!existsSync(src)) throw new Error('yaml-language-server is not installed (npm install --save-dev yaml-language-server)');
  const version = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')).version;
  const dest = join(root, 'node_modules', '.cache', 'cubelab-bench', 'yaml-language-server');
  rmSync(dest, { recursive: true, force: true });
  cpSync(src, dest, { recursive: true });
  const settingsFile = join(dest, 'out', 'src', 'yamlSettings.js');
  const before = readFileSync(settingsFile, 'utf8');
  const needle = /this\.validationDelayMs = 200;/;
  if (!needle.test(before)) throw new Error(`cannot find the 200 ms validation delay in ${settingsFile}; the benchmark must be updated for yaml-language-server ${version}`);
  writeFileSync(settingsFile, before.replace(needle, 'this.validationDelayMs = 0; /* patched by bench/ls.mjs */'));
  return { version, bin: join(dest, 'bin', 'yaml-language-server'), note: `yaml-language-server ${version}: validation delay patched from 200 ms to 0 ms in a copy of its bundle (${settingsFile.slice(root.length + 1)})` };
}
