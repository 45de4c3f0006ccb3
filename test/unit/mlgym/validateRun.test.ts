import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOOD_RUN, gsWith, validate, found, ctxWith } from './helpers';

const P = '/w/run_config.yml';
const withGs = (extra: Record<string, string> = {}) => ctxWith({ '/w/gs_config.yml': 'x: 1\n', ...extra });
const run = (text: string, code: string, ctx = withGs()) => {
  const ds = validate(P, text, ctx);
  return { all: ds, hits: found(text, ds, `mlgym/${code}`), msgs: ds.filter((d) => d.code === `mlgym/${code}`).map((d) => d.message) };
};
const R = (from: string, to: string) => gsWith(from, to, GOOD_RUN);

test('the reference run_config has no diagnostic', () => {
  assert.deepEqual(validate(P, GOOD_RUN, withGs()), []);
});

test('required blocks and keys', () => {
  const r = run(R('logging:\n  websocket_logging_servers:\n    - http://127.0.0.1:5002\n  gs_rest_api_endpoint: http://127.0.0.1:5001\n', ''), 'missing-block');
  assert.equal(r.hits.length, 1);
  assert.equal(r.all[0].range.start.line, 0);
  assert.match(r.msgs[0], /lacks `logging`: MLgym's parse_run_configuration raises KeyError: 'logging'/);
  const k = run(R('    num_epochs: 50\n', ''), 'missing-key');
  assert.deepEqual(k.hits.map((h) => h[1]), ['config']);
  assert.match(k.msgs[0], /TrainRunConfiguration requires num_epochs/);
  const u = run(R('    num_epochs: 50\n', '    num_epochs: 50\n    num_epoch: 3\n'), 'unknown-key');
  assert.deepEqual(u.hits.map((h) => h[1]), ['num_epoch']);
  assert.match(u.msgs[0], /TypeError: __init__\(\) got an unexpected keyword argument 'num_epoch'.*Did you mean "num_epochs"/);
  const t = run(R('    num_epochs: 50\n', '    num_epochs: fifty\n'), 'wrong-type');
  assert.deepEqual(t.hits.map((h) => h[1]), ['fifty']);
});

test('any type but train is a warm start; warm start keys and the gridsearch_id pattern', () => {
  const w = run(R('  type: train', '  type: resume'), 'warm-start-type');
  assert.deepEqual(w.hits.map((h) => h[1]), ['resume']);
  assert.match(w.msgs[0], /any type but "train" as a warm start/);
  const keys = run(R('  type: train', '  type: warmstart'), 'unknown-key');
  assert.deepEqual(keys.hits.map((h) => h[1]), ['gs_config_path']);
  const missing = run(R('  type: train', '  type: warmstart'), 'missing-key');
  assert.match(missing.msgs[0], /WarmStartRunConfiguration requires gridsearch_id/);
  const warm = 'run_configuration:\n  type: warmstart\n  config:\n    gridsearch_id: 2023-06-03\n    num_epochs: 10\n' + GOOD_RUN.slice(GOOD_RUN.indexOf('environment:'));
  const g = run(warm, 'gridsearch-id');
  assert.deepEqual(g.hits.map((h) => h[1]), ['2023-06-03']);
  assert.match(g.msgs[0], /not a run id \(YYYY-MM-DD--HH-MM-SS/);
  assert.deepEqual(run(warm.replace('2023-06-03', '2023-06-03--10-26-58'), 'gridsearch-id').hits, []);
  assert.equal(run(warm.replace('2023-06-03', '2023-06-03--10-26-58'), 'warm-start-regex').hits.length, 1);
});

test('environment per type: main_process broken, unknown types run as main_process, accelerate ignores config', () => {
  const mp = run(R('  type: multiprocessing\n  config:\n    process_count: 5\n    computation_device_ids: [0, 1]', '  type: main_process\n  config:\n    computation_device_id: 0'), 'main-process-broken');
  assert.deepEqual(mp.hits.map((h) => h[1]), ['main_process']);
  assert.match(mp.msgs[0], /get_sequential_gym\(\) is called without num_epochs and raises TypeError/);
  assert.equal(mp.all.find((d) => d.code === 'mlgym/main-process-broken')!.severity, 2);
  const other = run(R('  type: multiprocessing\n  config:\n    process_count: 5\n    computation_device_ids: [0, 1]', '  type: gpu\n  config:\n    computation_device_id: 0'), 'environment-type');
  assert.deepEqual(other.hits.map((h) => h[1]), ['gpu']);
  const acc = run(R('  type: multiprocessing\n', '  type: accelerate\n'), 'accelerate-config-ignored');
  assert.deepEqual(acc.hits.map((h) => h[1]), ['config']);
  const keys = run(R('    process_count: 5\n', ''), 'missing-key');
  assert.match(keys.msgs[0], /requires process_count/);
  const dev = run(R('[0, 1]', '[]'), 'no-devices');
  assert.deepEqual(dev.hits.map((h) => h[1]), ['[]']);
});

test('validation_config_path is rejected at HEAD: a warning that says why', () => {
  const v = run(R('    gs_config_path: ./gs_config.yml\n', '    gs_config_path: ./gs_config.yml\n    validation_config_path: ./cv.yml\n'), 'validation-config-path');
  assert.deepEqual(v.hits.map((h) => h[1]), ['validation_config_path']);
  assert.match(v.msgs[0], /plain class attribute.*TypeError.*cannot be started from run_config/);
  assert.equal(v.all.find((d) => d.code === 'mlgym/validation-config-path')!.severity, 2);
});

test('logging servers must be scheme://host:port; REST endpoint trailing slash', () => {
  const u = run(R('    - http://127.0.0.1:5002', '    - 127.0.0.1:9090\n    - http://127.0.0.1:5002/ws\n    - ws://h:1'), 'logging-url');
  assert.deepEqual(u.hits.map((h) => h[1]), ['127.0.0.1:9090', 'http://127.0.0.1:5002/ws']);
  assert.match(u.msgs[0], /splits each server on ":" into exactly protocol, host and port/);
  const r = run(R('http://127.0.0.1:5001', 'http://127.0.0.1:5001/'), 'rest-endpoint');
  assert.deepEqual(r.hits.map((h) => h[1]), ['http://127.0.0.1:5001/']);
  assert.match(r.msgs[0], /produces "\/\/"/);
});

test('gs_config_path: resolved against the declared working directory, the file\'s folder and the workspace folders', () => {
  const missing = run(GOOD_RUN, 'gs-config-not-found', ctxWith());
  assert.deepEqual(missing.hits.map((h) => h[1]), ['./gs_config.yml']);
  assert.match(missing.msgs[0], /looked in \/w\/gs_config\.yml.*relative to the directory `python run.py` starts in/);
  assert.deepEqual(run(GOOD_RUN, 'gs-config-not-found', ctxWith({ '/root-ws/gs_config.yml': 'x' }, ['/root-ws'])).hits, []);
  const wd = ctxWith({ '/w/.cubelab/mlgym-components.yml': 'working_directory: ./example\n', '/w/example/gs_config.yml': 'x' });
  assert.deepEqual(run(GOOD_RUN, 'gs-config-not-found', wd).hits, []);
});

test('warm start under accelerate is not implemented; a REST endpoint without scheme', () => {
  const warm = 'run_configuration:\n  type: warmstart\n  config:\n    gridsearch_id: 2023-06-03--10-26-58\n    num_epochs: 10\nenvironment:\n  type: accelerate\n' + GOOD_RUN.slice(GOOD_RUN.indexOf('logging:'));
  const a = run(warm, 'accelerate-warm-start');
  assert.deepEqual(a.hits.map((h) => h[1]), ['accelerate']);
  assert.match(a.msgs[0], /issue #241/);
  const r = run(R('http://127.0.0.1:5001', '127.0.0.1:5001'), 'rest-endpoint');
  assert.deepEqual(r.hits.map((h) => h[1]), ['127.0.0.1:5001']);
});
