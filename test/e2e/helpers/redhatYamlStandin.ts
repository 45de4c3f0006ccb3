/**
 * Packages the TEST STAND-IN for Red Hat's YAML extension (test/e2e/standins/redhat-yaml: id redhat.vscode-yaml,
 * yaml-language-server from npm over stdio) into a .vsix in a temporary folder: the extension bundled with esbuild,
 * the server's path (this repository's node_modules) written into it, packaged with @vscode/vsce as CubeLab is.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { repoRoot, tempDir } from './codeServer';

const execFileAsync = promisify(execFile);
const standinDir = join(repoRoot, 'test/e2e/standins/redhat-yaml');
export const yamlLanguageServerBin = join(repoRoot, 'node_modules/yaml-language-server/bin/yaml-language-server');

/** Builds the stand-in's .vsix and returns its path (the folder is the caller's to remove). */
export async function packageRedHatYamlStandin(): Promise<{ vsix: string; dir: string }> {
  if (!existsSync(yamlLanguageServerBin)) throw new Error(`yaml-language-server is missing (${yamlLanguageServerBin}); run: npm ci`);
  const dir = tempDir('redhat-yaml-standin');
  await build({
    entryPoints: [join(standinDir, 'extension.ts')],
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'error',
    outfile: join(dir, 'extension.js'),
    define: { YAML_LANGUAGE_SERVER: JSON.stringify(yamlLanguageServerBin) },
  });
  for (const f of ['package.json', 'README.md']) copyFileSync(join(standinDir, f), join(dir, f));
  const vsix = join(dir, 'redhat-yaml-standin.vsix');
  await execFileAsync(process.execPath, [join(repoRoot, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '-o', vsix], { cwd: dir, timeout: 60_000 });
  return { vsix, dir };
}
