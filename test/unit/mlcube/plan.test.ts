import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskPlan, TaskPlanResult } from '../../../shared/lsp-protocol';
import type { FileAccess } from '../../../server/src/service/languageService';
import { parseYaml } from '../../../server/src/yaml/parsedDocument';
import { loadManifest } from '../../../server/src/mlcube/planning/manifest';
import { planFromManifest, planTask } from '../../../server/src/mlcube/plan';
import { parseOverrides } from '../../../server/src/mlcube/overrides';
import { shlexSplit } from '../../../server/src/mlcube/planning/shlex';
import { gpuSpecFromConfig, dockerGpus } from '../../../server/src/mlcube/planning/gpus';
import { hostPath, normpathPosix, splitPosix } from '../../../server/src/mlcube/mounts';
import { analyze } from '../../../server/src/service/languageService';
import { defaultSettings } from '../../../shared/lsp-protocol';

/** An in-memory file system: listed files, and every folder above them plus the listed folders. */
function memFs(files: string[] = [], dirs: string[] = []): FileAccess {
  const d = new Set<string>();
  const addDir = (p: string): void => { for (let c = p; c && c !== '/'; c = c.slice(0, c.lastIndexOf('/')) || '/') d.add(c); };
  dirs.forEach(addDir);
  files.forEach((f) => addDir(f.slice(0, f.lastIndexOf('/'))));
  const f = new Set(files);
  return {
    exists: (p) => f.has(p) || d.has(p) || p === '/',
    isDirectory: (p) => d.has(p) || p === '/',
    readDir: () => [],
  };
}

const ROOT = '/cube';
const WS = '/cube/workspace';

function plan(yaml: string, task: string, opts: { overrides?: string[]; fs?: FileAccess; env?: Record<string, string>; workspace?: string } = {}): TaskPlanResult {
  const loaded = loadManifest(parseYaml(yaml));
  assert.ok(loaded.ok, !loaded.ok ? loaded.error : '');
  return planFromManifest(loaded.value, {
    manifestPath: `${ROOT}/mlcube.yaml`, task, overrides: opts.overrides, workspace: opts.workspace,
    env: opts.env ?? { HOME: '/home/u' }, fs: opts.fs ?? memFs([], [WS]), keyOrder: loaded.keyOrder, keyTypes: loaded.keyTypes,
  });
}
function ok(r: TaskPlanResult): TaskPlan {
  assert.ok(r.ok, !r.ok ? `${r.code}: ${r.error}` : '');
  return r.plan;
}
function failed(r: TaskPlanResult): { error: string; code?: string } {
  assert.ok(!r.ok, `expected a failure, got ${JSON.stringify(r)}`);
  return r;
}
const mounts = (p: TaskPlan): string[] => p.mounts.map((m) => `${m.host}:${m.container}${m.mode ? ':' + m.mode : ''}`);

const MNIST = `
name: mnist
platform: {accelerator_count: 0}
docker:
  image: mlcommons/mnist:0.0.1
  build_context: "../project"
tasks:
  download:
    parameters:
      inputs: {data_config: {type: file, default: data.yaml}}
      outputs: {data_dir: {type: directory, default: data}, log_dir: {type: directory, default: logs}}
  train:
    parameters:
      inputs: {data_dir: data/, train_config: {type: file, default: train.yaml, opts: ro}}
      outputs: {log_dir: logs/, model_dir: {type: directory, default: model}}
`;

test('the mnist download example of docs/mlcube.md §2.3', () => {
  const p = ok(plan(MNIST, 'download'));
  assert.deepEqual(mounts(p), [`${WS}:/mlcube_io0`, `${WS}/data:/mlcube_io1`, `${WS}/logs:/mlcube_io2`]);
  assert.deepEqual(p.args, ['download', '--data_config=/mlcube_io0/data.yaml', '--data_dir=/mlcube_io1', '--log_dir=/mlcube_io2']);
  assert.deepEqual(p.entrypoint, []);
  assert.equal(p.image, 'mlcommons/mnist:0.0.1');
  assert.equal(p.platforms.docker.command, `docker run --volume ${WS}:/mlcube_io0 --volume ${WS}/data:/mlcube_io1 --volume ${WS}/logs:/mlcube_io2 mlcommons/mnist:0.0.1 download --data_config=/mlcube_io0/data.yaml --data_dir=/mlcube_io1 --log_dir=/mlcube_io2`);
  assert.deepEqual(p.mkdirs, [`${WS}/data`, `${WS}/logs`]);
  assert.equal(p.gpus, null);
  assert.equal(p.platforms.docker.runArgs, '');
  assert.deepEqual(p.env, {});
  assert.deepEqual(p.platforms.docker.imageBuild, { strategy: 'pull', context: '/project', file: '/project/Dockerfile', fileExists: false, buildArgs: {}, action: 'pull' });
});

test('a missing workspace is created first; the workspace itself counts as an existing folder', () => {
  const p = ok(plan(MNIST, 'download', { fs: memFs() }));
  assert.deepEqual(p.mkdirs, [WS, `${WS}/data`, `${WS}/logs`]);
  const q = ok(plan('docker: {image: i}\ntasks:\n  t:\n    parameters:\n      inputs: {ws: ""}\n', 't', { fs: memFs() }));
  assert.deepEqual(mounts(q), [`${WS}:/mlcube_io0`]);
  assert.deepEqual(q.args, ['t', '--ws=/mlcube_io0']);
});

test('file params mount their parent folder, shared folders are mounted once, in inputs-then-outputs order', () => {
  const y = `docker: {image: i}
tasks:
  t:
    parameters:
      outputs: {out: {type: file, default: results/metrics.json}, out_dir: results/}
      inputs: {a: {type: file, default: data/a.csv}, b: {type: file, default: data/b.csv}, d: data}
`;
  const p = ok(plan(y, 't'));
  assert.deepEqual(mounts(p), [`${WS}/data:/mlcube_io0`, `${WS}/results:/mlcube_io1`]);
  assert.deepEqual(p.paramArgs, ['--a=/mlcube_io0/a.csv', '--b=/mlcube_io0/b.csv', '--d=/mlcube_io0', '--out=/mlcube_io1/metrics.json', '--out_dir=/mlcube_io1']);
});

test('type inference from the host path: an untyped input is a file or a folder, or an error when missing', () => {
  const y = 'docker: {image: i}\ntasks:\n  t:\n    parameters:\n      inputs: {cfg: parameters.yaml, data: raw}\n';
  const p = ok(plan(y, 't', { fs: memFs([`${WS}/parameters.yaml`], [`${WS}/raw`]) }));
  assert.deepEqual(p.paramArgs, ['--cfg=/mlcube_io0/parameters.yaml', '--data=/mlcube_io1']);
  assert.deepEqual(mounts(p), [`${WS}:/mlcube_io0`, `${WS}/raw:/mlcube_io1`]);
  const e = failed(plan(y, 't'));
  assert.equal(e.code, 'mounts');
  assert.equal(e.error, `ConfigurationError: Invalid task: task=t, param=cfg, type=unknown. Type is unknown and unable to identify it (${WS}/parameters.yaml).`);
  // A folder mlcube created for an earlier parameter of the same task makes a later untyped input a directory.
  const z = ok(plan('docker: {image: i}\ntasks:\n  t:\n    parameters:\n      inputs: {a: data/, b: data}\n', 't'));
  assert.deepEqual(z.paramArgs, ['--a=/mlcube_io0', '--b=/mlcube_io0']);
});

test('untyped outputs, bad types, bad opts are run-time errors', () => {
  const base = (p: string): string => `docker: {image: i}\ntasks:\n  t:\n    parameters:\n${p}`;
  assert.equal(failed(plan(base('      outputs: {model: model.bin}\n'), 't')).error,
    'ConfigurationError: Invalid task: task=t, param=model, type=unknown. Type cannot be unknown for output parameters.');
  assert.equal(failed(plan(base('      inputs: {x: {type: dir, default: x}}\n'), 't')).error,
    'ConfigurationError: Invalid task: task=t, param=x, type=dir. Type is invalid.');
  assert.equal(failed(plan(base('      inputs: {x: {type: directory, default: x, opts: readonly}}\n'), 't')).error,
    'ConfigurationError: Invalid mount options: task=t, param=x, opts=readonly.');
  const int = failed(plan(base('      inputs: {epochs: 5}\n'), 't'));
  assert.equal(int.code, 'params');
  assert.match(int.error, /^AttributeError: 'int' object has no attribute 'get'/);
  // A bad parameter in another task breaks the whole config, as in mlcube.
  assert.equal(failed(plan(`docker: {image: i}\ntasks:\n  ok: {}\n  bad: {parameters: {inputs: {n: [1]}}}\n`, 'ok')).code, 'params');
});

test('mount options: ro/rw suffixes, conflicting opts on one folder become rw with a warning, ro outputs warn', () => {
  const y = `docker: {image: i}
tasks:
  t:
    parameters:
      inputs:
        a: {type: file, default: d/a.txt, opts: ro}
        b: {type: file, default: d/b.txt, opts: rw}
        c: {type: directory, default: c, opts: ro}
      outputs:
        o: {type: directory, default: o, opts: ro}
`;
  const p = ok(plan(y, 't'));
  assert.deepEqual(mounts(p), [`${WS}/d:/mlcube_io0:rw`, `${WS}/c:/mlcube_io1:ro`, `${WS}/o:/mlcube_io2:ro`]);
  assert.ok(p.warnings.some((w) => w.startsWith(`Conflicting mount options found. Host path (${WS}/d) has already been requested to mount as 'ro', but new parameter (b) requests to mount as 'rw'`)), p.warnings.join('\n'));
  assert.ok(p.warnings.includes("Task's (t) parameter (o) is OUTPUT and requested to mount as RO."));
  // --mount=ro overrides every input's opts, not the outputs'.
  const q = ok(plan(y.replace('opts: rw', 'opts: ro'), 't', { overrides: ['--mount=rw'] }));
  assert.deepEqual(mounts(q), [`${WS}/d:/mlcube_io0:rw`, `${WS}/c:/mlcube_io1:rw`, `${WS}/o:/mlcube_io2:ro`]);
  assert.match(failed(plan(y, 't', { overrides: ['--mount=xx'] })).error, /invalid global mount options: --mount_opts=xx/);
});

test('overrides: parsing of name=value, -P forms and run flags', () => {
  const o = parseOverrides(['data_dir=/tmp/d/', 'a=b=c', '-Pdocker.image=x:2', '-P', 'platform.accelerator_count=1', '-pdocker.build_strategy=auto', '--gpus=all', '--network', 'host', '-Pflag']);
  assert.deepEqual(o.params, { data_dir: '/tmp/d/', a: 'b' });
  assert.deepEqual(o.config, { 'docker.image': 'x:2', 'platform.accelerator_count': '1', 'docker.build_strategy': 'auto', flag: '' });
  assert.deepEqual(o.options, { gpus: 'all', network: 'host' });
  assert.deepEqual(o.errors, []);
  const bad = parseOverrides(['oops', '-P']);
  assert.equal(bad.errors.length, 2);
  assert.match(bad.errors[0], /IndexError/);
});

test('name=value replaces a parameter default in every task; the type is inferred again from the new value', () => {
  const p = ok(plan(MNIST, 'train', { overrides: ['data_dir=/datasets/mnist', 'model_dir=~/models/m1/', 'unknown_param=zzz'] }));
  assert.deepEqual(mounts(p), ['/datasets/mnist:/mlcube_io0', `${WS}:/mlcube_io1:ro`, `${WS}/logs:/mlcube_io2`, '/home/u/models/m1:/mlcube_io3']);
  const q = ok(plan('docker: {image: i}\ntasks:\n  t:\n    parameters:\n      outputs: {out: out.bin}\n', 't', { overrides: ['out=results/'] }));
  assert.deepEqual(q.paramArgs, ['--out=/mlcube_io0']);
  assert.equal(q.mounts[0].host, `${WS}/results`);
});

test('-P overrides reach the manifest and the runner (applied before and after the docker merge)', () => {
  const p = ok(plan(MNIST, 'train', { overrides: ['-Pdocker.image=mine:2', '-Prunner.build_strategy=auto', '-Pplatform.accelerator_count=1', '-Ptasks.train.parameters.inputs.train_config.opts=rw', '-Prunner.--memory=8g'] }));
  assert.equal(p.image, 'mine:2');
  assert.equal(p.platforms.docker.imageBuild.strategy, 'auto');
  assert.equal(p.gpus, '1');
  assert.deepEqual(mounts(p).slice(0, 2), [`${WS}/data:/mlcube_io0`, `${WS}:/mlcube_io1:rw`]);
  assert.equal(p.platforms.docker.runArgs, ' --memory=8g');
  // OmegaConf's merge replaces a string-form parameter by the override's dict: its path becomes the param name.
  const gotcha = failed(plan(MNIST, 'train', { overrides: ['-Ptasks.train.parameters.inputs.data_dir.opts=ro'] }));
  assert.match(gotcha.error, /param=data_dir, type=unknown. Type is unknown and unable to identify it \(\/cube\/workspace\/data_dir\)/);
});

test('GPU specs: accelerator_count, --gpus wins, gpu_args vs cpu_args, the double --gpus warning', () => {
  const y = (acc: string, extra = ''): string => `platform: {accelerator_count: ${acc}}\ndocker: {image: i, gpu_args: "--gpus all --shm-size=1g", cpu_args: "-u 1000:1000"${extra}}\ntasks: {t: {}}\n`;
  const gpu = ok(plan(y('2'), 't'));
  assert.equal(gpu.gpus, '2');
  assert.equal(gpu.platforms.docker.runArgs, '--gpus all --shm-size=1g');
  assert.ok(gpu.warnings.some((w) => /two --gpus flags/.test(w)));
  assert.equal(gpu.platforms.docker.command, 'docker run --gpus all --shm-size=1g --gpus=2 i t');
  const cpu = ok(plan(y('0'), 't'));
  assert.equal(cpu.gpus, null);
  assert.equal(cpu.platforms.docker.runArgs, '-u 1000:1000');
  assert.equal(ok(plan(y('0'), 't', { overrides: ['--gpus', 'device=0, 2'] })).gpus, 'device=0,2');
  assert.equal(ok(plan(y('2'), 't', { overrides: ['--gpus='] })).gpus, null);
  assert.equal(ok(plan(y('1'), 't', { overrides: ['--gpus=all'] })).gpus, 'all');
  assert.match(failed(plan(y('0'), 't', { overrides: ['--gpus=two'] })).error, /^ConfigurationError: The `gpus` configuration parameter has invalid or unsupported value \(gpus=`two`\)/);
  assert.match(failed(plan(y('"1"'), 't')).error, /^TypeError: '>' not supported between instances of 'str' and 'int'/);
  assert.equal(ok(plan('docker: {image: i}\ntasks: {t: {}}\n', 't')).gpus, null);
  assert.deepEqual(gpuSpecFromConfig(3, ' 2 '), { ok: true, spec: { kind: 'count', count: 2 }, warnings: ['`platform.accelerator_count = 3` is not consistent with --gpus=2; --gpus wins.'] });
  assert.equal(dockerGpus({ kind: 'devices', devices: ['GPU-abc'] }), 'device=GPU-abc');
});

test('entrypoints: none, multi-token (task name dropped), single token (params dropped), empty', () => {
  const y = (ep: string): string => `docker: {image: img}\ntasks:\n  train:\n    entrypoint: ${ep}\n    parameters: {outputs: {log_dir: logs/}}\n`;
  const none = ok(plan(y('null'), 'train'));
  assert.deepEqual(none.entrypoint, []);
  assert.deepEqual(none.args, ['train', '--log_dir=/mlcube_io0']);
  assert.ok(none.warnings.some((w) => /entrypoint that is None: removing it/.test(w)));
  const multi = ok(plan(y(`"python3 /w/train.py --cfg 'a b'"`), 'train'));
  assert.deepEqual(multi.entrypoint, ['python3', '/w/train.py', '--cfg', 'a b']);
  assert.deepEqual(multi.args, ['--log_dir=/mlcube_io0']);
  assert.equal(multi.platforms.docker.command, `docker run --entrypoint=python3 --volume ${WS}/logs:/mlcube_io0 img /w/train.py --cfg a b --log_dir=/mlcube_io0`);
  assert.ok(multi.warnings.some((w) => /"a b" will not reach the container as written/.test(w)));
  const single = ok(plan(y('./check_gpus.sh'), 'train'));
  assert.deepEqual(single.entrypoint, ['./check_gpus.sh']);
  assert.deepEqual(single.args, []);
  assert.deepEqual(mounts(single), [`${WS}/logs:/mlcube_io0`]);
  assert.ok(single.warnings.some((w) => /single token \(\.\/check_gpus\.sh\): mlcube passes none of the 1 parameter argument/.test(w)));
  assert.equal(single.platforms.docker.command, `docker run --entrypoint=./check_gpus.sh --volume ${WS}/logs:/mlcube_io0 img`);
  const empty = ok(plan(y('""'), 'train'));
  assert.deepEqual(empty.entrypoint, ['']);
  assert.deepEqual(empty.args, ['--log_dir=/mlcube_io0']);
  assert.equal(failed(plan(y(`"python 'oops"`), 'train')).code, 'entrypoint');
  assert.deepEqual(shlexSplit(`a "b \\" c" 'd\\e' f\\ g ""`), { ok: true, tokens: ['a', 'b " c', 'd\\e', 'f g', ''] });
});

test('runner keys: --x keys rendered after the free-form args, env and build args as dict or string', () => {
  const y = `docker:
  image: i
  cpu_args: "--shm-size 4G"
  --network: host
  --cpuset-cpus: 0-3
  env_args: {TOKEN: abc, N: 1}
  build_args: "--no-cache --pull"
tasks: {t: {}}
`;
  const p = ok(plan(y, 't'));
  assert.equal(p.platforms.docker.runArgs, '--shm-size 4G --network=host --cpuset-cpus=0-3');
  assert.deepEqual(p.env, { TOKEN: 'abc', N: '1' });
  assert.equal(p.platforms.docker.imageBuild.buildArgs, '--no-cache --pull');
  assert.equal(p.platforms.docker.command, 'docker run --shm-size 4G --network=host --cpuset-cpus=0-3 -e TOKEN=abc -e N=1 i t');
  const s = ok(plan('docker: {image: i, env_args: "-e HF_TOKEN", docker: podman}\ntasks: {t: {}}\n', 't', { overrides: ['--memory=8g', '--security', 'seccomp=unconfined', '--cpu=1'] }));
  assert.equal(s.env, '-e HF_TOKEN');
  assert.equal(s.platforms.docker.tool, 'podman');
  assert.equal(s.platforms.docker.runArgs, ' --security-opt=seccomp=unconfined --memory=8g --cpuset-cpus=1');
  assert.equal(s.platforms.docker.command, 'podman run --security-opt=seccomp=unconfined --memory=8g --cpuset-cpus=1 -e HF_TOKEN i t');
});

test('build: strategy, context relative to the root, recipe relative to the context', () => {
  const y = 'docker: {image: i, build_context: "../project", build_file: "docker/Dockerfile", build_strategy: auto}\ntasks: {t: {}}\n';
  const p = ok(plan(y, 't', { fs: memFs(['/project/docker/Dockerfile'], [WS]) }));
  assert.deepEqual({ ...p.platforms.docker.imageBuild }, { strategy: 'auto', context: '/project', file: '/project/docker/Dockerfile', fileExists: true, buildArgs: {}, action: 'build' });
  const q = ok(plan(y, 't'));
  assert.equal(q.platforms.docker.imageBuild.action, 'pull');
  assert.ok(q.warnings.some((w) => /does not exist: mlcube pulls the image instead/.test(w)));
});

test('config errors mlcube raises before running', () => {
  assert.equal(failed(plan('docker: {image: i, tar_file: x.tar, --shm-size: 1g}\ntasks: {t: {}}\n', 't')).error, "ConfigurationError: Unknown keys: ['tar_file', '--shm-size']. Namespace = runner.");
  assert.equal(failed(plan('docker: {image: i, build_strategy: sometimes}\ntasks: {t: {}}\n', 't')).error,
    "IllegalParameterValueError: name=build_strategy, actual_value=sometimes, actual_value_type=<class 'str'>, expected_value=['pull', 'auto', 'always']");
  assert.match(failed(plan('docker: {image: 5}\ntasks: {t: {}}\n', 't')).error, /^IllegalParameterTypeError: name=runner.image, actual_value=5, actual_value_type=<class 'int'>/);
  const noImage = failed(plan('singularity: {image: x.sif}\ntasks: {t: {}}\n', 't'));
  assert.equal(noImage.code, 'interpolation');
  assert.match(noImage.error, /^InterpolationKeyError: Interpolation key 'docker.image' not found\n {4}full_key: runner.image/);
  assert.equal(failed(plan('docker: {image: i}\n', 't')).error, 'ConfigAttributeError: Missing key tasks');
  assert.match(failed(plan('docker: {image: i}\ntasks: [a.yaml]\n', 't')).error, /ListConfig does not support attribute access/);
  // Any unresolvable interpolation fails, even in a section the docker runner never reads.
  const env = failed(plan('docker: {image: i}\nsingularity: {image: "${oc.env:NO_SUCH_VAR}"}\ntasks: {t: {}}\n', 't'));
  assert.match(env.error, /Environment variable 'NO_SUCH_VAR' not found[\s\S]*full_key: singularity.image/);
  const dup = loadManifest(parseYaml('tasks: {}\ntasks: {}\n'));
  assert.ok(!dup.ok && /found duplicate key "tasks"/.test(dup.error));
  assert.ok(!loadManifest(parseYaml('')).ok);
});

test('task selection: the only task when none is named; unknown tasks fail', () => {
  assert.equal(ok(plan('docker: {image: i}\ntasks: {only: {}}\n', '')).taskName, 'only');
  assert.equal(failed(plan(MNIST, '')).error, "Task name could not be automatically resolved (supported tasks = ['download', 'train']).");
  assert.equal(failed(plan(MNIST, 'evaluate')).error, "Unknown tasks have been requested: supported tasks = ['download', 'train'], requested tasks = ['evaluate'], unknown tasks = ['evaluate'].");
});

test('paths: ${HOME} is a config key, $HOME and ~ expand, absolute paths and interpolated paths', () => {
  const y = (p: string): string => `name: n\ndocker: {image: i}\ntasks:\n  t:\n    parameters:\n      outputs: {o: "${p}"}\n`;
  assert.match(failed(plan(y('${HOME}/out/'), 't')).error, /^InterpolationKeyError: Interpolation key 'HOME' not found/);
  assert.equal(ok(plan(y('$HOME/out/'), 't')).mounts[0].host, '/home/u/out');
  assert.equal(ok(plan(y('$WORKSPACE/out/'), 't')).mounts[0].host, `${WS}/$WORKSPACE/out`);
  assert.equal(ok(plan(y('~/.cache/x/'), 't')).mounts[0].host, '/home/u/.cache/x');
  assert.equal(ok(plan(y('${oc.env:HOME}/o/'), 't')).mounts[0].host, '/home/u/o');
  assert.equal(ok(plan(y('${workspace}/${name}/'), 't')).mounts[0].host, `${WS}/n`);
  assert.equal(ok(plan(y('/abs//data/./x/'), 't')).mounts[0].host, '/abs/data/x');
  assert.match(failed(plan(y('\\\\${HOME}/o/'), 't')).error, /Interpolation key 'HOME' not found/);
  assert.equal(hostPath('/w', '', {}), '/w');
  assert.equal(normpathPosix('/a/b/../../../c'), '/c');
  assert.deepEqual(splitPosix('/a/b/c.txt'), ['/a/b', 'c.txt']);
  assert.deepEqual(splitPosix('/c.txt'), ['/', 'c.txt']);
});

test('parameters keep YAML order even with integer-like names', () => {
  const p = ok(plan('docker: {image: i}\ntasks:\n  t:\n    parameters:\n      outputs: {b: b/, "2": two/, a: a/, "1": one/}\n', 't'));
  assert.deepEqual(p.paramArgs, ['--b=/mlcube_io0', '--2=/mlcube_io1', '--a=/mlcube_io2', '--1=/mlcube_io3']);
});

test('a custom workspace gets the inputs that exist in <root>/workspace and are no task output', () => {
  const fs = memFs([`${WS}/parameters.yaml`, `${WS}/data/x.csv`], [`${WS}/weights`]);
  const y = `docker: {image: i}
tasks:
  prep: {parameters: {outputs: {data: data/}}}
  infer:
    parameters:
      inputs: {params: parameters.yaml, data: data/, weights: weights, abs: /elsewhere/}
      outputs: {preds: preds/}
`;
  const p = ok(plan(y, 'infer', { fs, workspace: '/runs/w1' }));
  assert.equal(p.workspace, '/runs/w1');
  assert.deepEqual(p.workspaceSync, [
    { from: `${WS}/parameters.yaml`, to: '/runs/w1/parameters.yaml', kind: 'file' },
    { from: `${WS}/weights`, to: '/runs/w1/weights', kind: 'directory' },
  ]);
  assert.deepEqual(mounts(p), ['/runs/w1:/mlcube_io0', '/runs/w1/data:/mlcube_io1', '/runs/w1/weights:/mlcube_io2', '/elsewhere:/mlcube_io3', '/runs/w1/preds:/mlcube_io4']);
  assert.equal(p.mkdirs[0], '/runs/w1');
  assert.equal(ok(plan(y, 'infer', { fs, workspace: 'rel/ws' })).workspace, '/cube/rel/ws');
});

test('planTask reads the analysed document', () => {
  const text = 'name: x\ndocker: {image: "reg/${name}:1"}\ntasks: {run: {parameters: {outputs: {o: out/}}}}\n';
  const doc = analyze('file:///cube/mlcube.yaml', 1, text, { settings: defaultSettings, workspaceFolders: [] });
  const ctx = { settings: defaultSettings, workspaceFolders: [], fs: memFs([], [WS]), env: {} };
  const r = planTask(doc, { uri: doc.uri, task: 'run' }, ctx);
  const p = ok(r);
  assert.equal(p.image, 'reg/x:1');
  assert.equal(p.root, '/cube');
  assert.deepEqual(p.args, ['run', '--o=/mlcube_io0']);
  const bad = analyze('file:///cube/mlcube.yaml', 2, 'tasks: {a: {}}\n  bad: indent\n', { settings: defaultSettings, workspaceFolders: [] });
  assert.equal(failed(planTask(bad, { uri: bad.uri, task: 'a' }, ctx)).code, 'yaml');
  const virtual = analyze('untitled:1', 1, text, { settings: defaultSettings, workspaceFolders: [] });
  assert.equal(failed(planTask(virtual, { uri: virtual.uri, task: 'run' }, ctx)).code, 'document');
});

test('the manifest is read as PyYAML reads it (YAML 1.1): 1:/on: keys crash mlcube, yes is a boolean, y/n are strings', () => {
  const intKey = failed(plan('docker: {image: i}\ntasks:\n  t: {parameters: {outputs: {1: one/}}}\n', 't'));
  assert.equal(intKey.code, 'params');
  assert.match(intKey.error, /^TypeError: 'int' object is not iterable \(YAML reads the parameter name 1 of task t as int/);
  const boolTask = failed(plan('docker: {image: i}\ntasks:\n  x: {}\n  on: {}\n', 'x'));
  assert.match(boolTask.error, /^TypeError: 'bool' object is not iterable/);
  assert.match(failed(plan('docker: {image: i}\ntasks:\n  t: {parameters: {inputs: {flag: yes}}}\n', 't')).error, /^AttributeError: 'bool' object has no attribute 'get'/);
  const yn = ok(plan('docker: {image: i}\ntasks:\n  t: {parameters: {outputs: {n: data/, y: "2"}}}\n', 't', { overrides: ['y=out/'] }));
  assert.deepEqual(yn.paramArgs, ['--n=/mlcube_io0', '--y=/mlcube_io1']);
  const merged = ok(plan('base: &b {type: directory, opts: ro}\ndocker: {image: i}\ntasks:\n  t: {parameters: {inputs: {d: {<<: *b, default: dd}}}}\n', 't'));
  assert.deepEqual(mounts(merged), [`${WS}/dd:/mlcube_io0:ro`]);
});

test('an unquoted `build_context: .` is the string "." (OmegaConf\'s float resolver), so the context is the cube root', () => {
  const p = ok(plan('docker:\n  image: a/b:1\n  build_context: .\n  build_strategy: auto\ntasks:\n  t: {entrypoint: run it}\n', 't', { fs: memFs([`${ROOT}/Dockerfile`], [WS]) }));
  assert.equal(p.platforms.docker.imageBuild?.context, ROOT);
  assert.equal(p.platforms.docker.imageBuild?.file, `${ROOT}/Dockerfile`);
  assert.equal(p.platforms.docker.imageBuild?.action, 'build');
});

test('YAML 1.1 floats as OmegaConf loads them: exponents without a dot, sexagesimal, inf; a lone dot stays a string', () => {
  const loaded = loadManifest(parseYaml('tasks:\n  t: {entrypoint: a b}\nv: [1e5, 1:30.5, -.inf, ., .5, 1_0.5]\n'));
  assert.ok(loaded.ok);
  assert.deepEqual((loaded.value as { v: unknown[] }).v, [100000, 90.5, -Infinity, '.', 0.5, 10.5]);
});
