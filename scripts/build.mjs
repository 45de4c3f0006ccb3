// Bundles the extension with esbuild: dist/client.js, dist/server.js and one bundle per webview
// (webviews/<name>/main.ts -> dist/webviews/<name>.js). Flags: --watch, --production.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
  absWorkingDir: root,
  legalComments: 'none',
};

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  mainFields: ['module', 'main'],
  define: { CUBELAB_VERSION: JSON.stringify(version) },
};

// dockerode requires its BuildKit code (lib/session.js: @grpc/grpc-js and @grpc/proto-loader; lib/buildkit.js: protobufjs)
// at load time, for `buildImage({version: '2'})` and `docker.followProgress`. CubeLab builds with the classic builder and
// follows progress with docker.modem.followProgress, so both are replaced by a stub that says so if ever called: about
// 400 KB less to load with the runner (bench: `node scripts/build.mjs --production` and compare dist/runner.js).
const dockerodeWithoutBuildKit = {
  name: 'dockerode-without-buildkit',
  setup(build) {
    build.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (args) =>
      /[\\/]dockerode[\\/]lib$/.test(args.resolveDir) ? { path: args.path, namespace: 'no-buildkit' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'no-buildkit' }, (args) => ({
      contents: `module.exports = function () { throw new Error(${JSON.stringify(`dockerode's ${args.path} (BuildKit) is not bundled with CubeLab`)}); };\n`
        + 'module.exports.followProgress = module.exports;\n',
      loader: 'js',
    }));
  },
};

const configs = [
  {
    ...node,
    entryPoints: { client: 'client/src/extension.ts' },
    outdir: 'dist',
    external: ['vscode'],
    // The activation benchmark measures from this very first statement of the bundle.
    banner: { js: 'globalThis.__cubelabBundleStart = performance.now();' },
  },
  // The language client loads right after activation, from its own bundle (see client/src/extension.ts).
  { ...node, entryPoints: { language: 'client/src/language/index.ts' }, outdir: 'dist', external: ['vscode'] },
  { ...node, entryPoints: { server: 'server/src/server.ts' }, outdir: 'dist' },
  // The run supervisor and its backends (dockerode) load on first use, from their own bundle, so activation never pays for them.
  // ssh2's and cpu-features' native add-ons are optional (ssh2 falls back to pure JS): left out.
  {
    ...node,
    entryPoints: { runner: 'client/src/backends/index.ts' },
    outdir: 'dist',
    external: ['vscode', 'cpu-features', '*.node'],
    plugins: [dockerodeWithoutBuildKit],
  },
  // The Kubernetes API client (@kubernetes/client-node) loads when a Kubernetes target is first used, from its own bundle
  // (client/src/backends/kubernetes/kubeModule.ts): the runner and the command line require it from beside them.
  // ws's optional native helpers are left out: ws falls back to pure JS.
  {
    ...node,
    entryPoints: { kubernetes: 'client/src/backends/kubernetes/kubeApi.ts' },
    outdir: 'dist',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
  },
  // SSH_ASKPASS program: ssh runs it to hand a prompt (password, passphrase, host key) to CubeLab.
  { ...node, entryPoints: { askpass: 'client/src/backends/ssh/askpassMain.ts' }, outdir: 'dist' },
  // The MLboard-compatible endpoint (socket.io) loads when it is started, from its own bundle.
  // ws's optional native helpers (bufferutil, utf-8-validate) are left out: ws falls back to pure JS.
  {
    ...node,
    entryPoints: { endpoint: 'client/src/endpoint/index.ts' },
    outdir: 'dist',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
  },
  // The Metrics and Experiments panels (event reader, downsampling) load on their first command or restore.
  { ...node, entryPoints: { panels: 'client/src/webviews/panels.ts' }, outdir: 'dist', external: ['vscode'] },
  // The Experiments tree's reading code (event reader, glob walk) loads when the view is first shown.
  { ...node, entryPoints: { experimentsTree: 'client/src/experiments/model.ts' }, outdir: 'dist', external: ['vscode'] },
  // The registry code (OCI Distribution client, publish, pull, browse) loads on first use of the Registries view or a registry command.
  // Its ingest worker (hashing and extracting beside the download) is dist/registryWorker.js.
  { ...node, entryPoints: { registry: 'client/src/registry/index.ts', registryWorker: 'client/src/registry/ingestWorker.ts' }, outdir: 'dist', external: ['vscode'] },
  // The Review panel, Export Labelled Data and Retrain from Reviews load on first use, from their own bundle.
  { ...node, entryPoints: { predictions: 'client/src/predictions/editor/loop.ts' }, outdir: 'dist', external: ['vscode'] },
  // The Run form panel and the MLExchange / MedPerf commands load on first use, from their own bundle.
  { ...node, entryPoints: { interop: 'client/src/interop/index.ts' }, outdir: 'dist', external: ['vscode'] },
  // The `cubelab` command line (package.json `bin`): the language service and the run layer, self-contained.
  {
    ...node,
    entryPoints: { cli: 'client/src/cli/main.ts' },
    outdir: 'dist',
    external: ['vscode', 'cpu-features', '*.node'],
    plugins: [dockerodeWithoutBuildKit],
    banner: { js: '#!/usr/bin/env node' },
  },
];

const webviewDir = join(root, 'webviews');
if (existsSync(webviewDir)) {
  for (const name of readdirSync(webviewDir)) {
    const entry = join('webviews', name, 'main.ts');
    if (!existsSync(join(root, entry))) continue;
    configs.push({ ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: { [name]: entry }, outdir: 'dist/webviews' });
  }
}

if (watch) {
  for (const c of configs) await (await esbuild.context(c)).watch();
  console.log('[watch] watching for changes...');
} else {
  const results = await Promise.all(configs.map((c) => esbuild.build({ ...c, metafile: true })));
  if (results.some((r) => r.errors.length)) process.exit(1);
}
