// `npm start`: try CubeLab in a real VS Code with the demo workspace (examples/) open.
//   default:     installs code-server if needed (test/env/setup-vscode.sh), builds and packages CubeLab,
//                installs the .vsix and serves VS Code on http://127.0.0.1:PORT (printed). Ctrl+C stops it.
//   --desktop:   opens a desktop VS Code (`code` on PATH) with --extensionDevelopmentPath instead.
//   --port N:    port to serve on (default 8080, or a free one if 8080 is taken).
//   Both also start the Docker engine where they can (as root: test/env/setup-docker.sh) or say how, and copy
//   /bin/busybox into the demo cube's build context (examples/hello-cube).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './ensure-deps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'examples');
const args = process.argv.slice(2);
const portArg = args.indexOf('--port');

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs need a Docker engine: as root, test/env/setup-docker.sh installs and starts one (idempotent);
 * otherwise say how. The demo cube (examples/hello-cube) builds offline from Debian's busybox-static binary,
 * which its build context needs next to the Dockerfile.
 */
function prepareDocker() {
  const asRoot = process.getuid?.() === 0;
  const r = spawnSync('bash', [join(root, 'test/env/setup-docker.sh')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.warn(`npm start: no Docker engine answers, so CubeLab can edit cubes but not run them. ${asRoot
      ? 'Starting one failed (see above; log in /tmp/cubelab-dockerd.log).'
      : 'Start one as root (`sudo bash test/env/setup-docker.sh`, or your own dockerd); CubeLab honours DOCKER_HOST, the active docker context and the cubelab.docker.host setting.'}`);
  }
  const busybox = join(examples, 'hello-cube', 'busybox');
  if (!existsSync(busybox)) {
    if (existsSync('/bin/busybox')) copyFileSync('/bin/busybox', busybox);
    else console.warn('npm start: /bin/busybox is missing (apt-get install busybox-static): the demo cube examples/hello-cube cannot build its image.');
  }
}

/** The demo's MLgym event storage (the Metrics, Experiments and Model card panels open it). */
function prepareEvents() {
  const target = join(examples, 'mlgym-demo', 'event_storage');
  if (existsSync(target)) return;
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/demo-events.ts'), target], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.warn('npm start: writing the demo event storage failed (see above); the panels will have nothing to show.');
}

try { ensureDependencies(); } catch (e) { fail(e.message); }
prepareDocker();
prepareEvents();
if (args.includes('--desktop')) {
  if (!onPath('code')) fail('--desktop needs a desktop VS Code: `code` is not on PATH. Run `npm start` without it to use code-server.');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  const child = spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, examples], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  await serve();
}

/** Resolves to `port` when it is free on 127.0.0.1, else to a free port the OS picks. */
function choosePort(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => {
      const any = createServer();
      any.listen(0, '127.0.0.1', () => { const p = any.address().port; any.close(() => resolve(p)); });
    });
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(port)));
  });
}

async function serve() {
  const setup = spawnSync('bash', [join(root, 'test/env/setup-vscode.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) fail('installing code-server failed (see above).');
  const codeServer = join(root, 'test/env/vscode/node_modules/.bin/code-server');

  const state = join(root, 'test/out/start');
  const vsix = join(state, 'cubelab.vsix');
  const extensionsDir = join(state, 'extensions');
  const userDataDir = join(state, 'user-data');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  try {
    execFileSync(process.execPath, [join(root, 'scripts/package.mjs'), vsix], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync(codeServer, ['--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    fail('building, packaging or installing CubeLab failed (see above).');
  }
  const settings = join(userDataDir, 'User', 'settings.json');
  if (!existsSync(settings)) {
    // The demo folder is the user's own checkout: trust it, and skip the welcome page.
    writeFileSync(settings, JSON.stringify({ 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off' }, null, 2));
  }

  const port = await choosePort(portArg >= 0 ? Number(args[portArg + 1]) : 8080);
  const child = spawn(codeServer, [
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--config', join(state, 'code-server.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, examples,
  ], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const stop = () => { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ } };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));

  const deadline = Date.now() + 60_000;
  for (;;) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* starting */ }
    if (Date.now() > deadline) { stop(); fail(`code-server did not answer on port ${port} within 60 s.`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`\nCubeLab is running in VS Code (code-server 4.100.3): http://127.0.0.1:${port}/?folder=${encodeURIComponent(examples)}`);
  console.log('Press Ctrl+C to stop.');
}
