/**
 * Checks of run_config.yml (docs/mlgym.md §1): what `parse_run_configuration()` in [M] cmd.py does with each block.
 * The dicts are splatted into dataclasses, so an unknown key is a TypeError and a missing one a KeyError
 * ([M] cmd_entrypoint/cmd.py L298–316); keys beside `type`/`config` are never read. Upstream lines: docs/mlgym.md §7.1.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import type { ServiceContext } from '../service/languageService';
import { keyString, type ParsedYaml } from '../yaml/parsedDocument';
import { mlgymDiag, type MlgymCode } from './codes';
import { asMap, asSeq, findPair, keySpan, pairsOf, spanOf, valueSpan, type AnyPair } from './model';
import { pyTypeName, toPy } from './pyyaml';
import { didYouMean, suggest } from './suggest';
import { joinPath, type MlgymProject } from './userComponents';

export const RUN_TOP_KEYS = ['run_configuration', 'environment', 'logging'] as const;
export const TRAIN_KEYS = ['num_epochs', 'gs_config_path', 'num_batches_per_epoch'] as const;
export const WARM_KEYS = ['gridsearch_id', 'num_epochs', 'num_batches_per_epoch'] as const;
export const ENV_KEYS = {
  multiprocessing: ['process_count', 'computation_device_ids'],
  main_process: ['computation_device_id'],
} as const satisfies Record<string, readonly string[]>;
export const LOGGING_KEYS = ['websocket_logging_servers', 'gs_rest_api_endpoint'] as const;
export const GRIDSEARCH_ID = /^\d{4}-\d\d-\d\d--\d\d-\d\d-\d\d$/;

export function dirOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : '/';
}

/** Where MLgym would look for gs_config_path: relative to the process CWD. Candidates, most likely first. */
export function gsConfigCandidates(rel: string, docPath: string, project: MlgymProject, ctx: ServiceContext): string[] {
  if (rel.startsWith('/')) return [rel];
  const dirs = [project.workingDirectory, dirOf(docPath), ...ctx.workspaceFolders].filter((d): d is string => !!d);
  return [...new Set(dirs.map((d) => joinPath(d, rel)))];
}

export function validateRun(parsed: ParsedYaml, docPath: string, project: MlgymProject, sctx: ServiceContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const doc = parsed.doc;
  const { lines } = parsed;
  const root = asMap(doc?.contents, doc);
  const push = (span: [number, number], code: MlgymCode, message: string, data?: unknown) => out.push(mlgymDiag(lines, span, code, message, data === undefined ? undefined : { data }));
  if (!root) return out;
  const firstLine: [number, number] = [0, Math.max(1, parsed.text.indexOf('\n') < 0 ? parsed.text.length : parsed.text.indexOf('\n'))];

  const missing = RUN_TOP_KEYS.filter((k) => !findPair(root, k));
  if (missing.length) push(firstLine, 'missing-block', `run_config lacks ${missing.map((m) => `\`${m}\``).join(', ')}: MLgym's parse_run_configuration raises KeyError: '${missing[0]}'.`, { kind: 'add-keys', keys: missing });

  /** Checks the keys of a splatted dict: unknown = TypeError, missing = KeyError/TypeError. */
  const checkKeys = (pair: AnyPair, allowed: readonly string[], required: readonly string[], owner: string) => {
    const m = asMap(pair.value, doc);
    if (!m) { push(valueSpan(pair), 'wrong-type', `\`${keyString(pair)}\` must be a mapping; MLgym splats it into ${owner}.`); return undefined; }
    for (const p of pairsOf(m)) {
      const k = keyString(p) ?? '';
      if (allowed.includes(k)) continue;
      if (k === 'validation_config_path') {
        push(keySpan(p), 'validation-config-path', '`validation_config_path` is not a field of TrainRunConfiguration at MLgym HEAD (it is a plain class attribute), so MLgym raises TypeError: unexpected keyword argument. Cross validation and nested CV cannot be started from run_config; use the Python API.', { kind: 'remove' });
        continue;
      }
      const cands = suggest(k, allowed);
      push(keySpan(p), 'unknown-key', `${owner} takes no "${k}": MLgym raises TypeError: __init__() got an unexpected keyword argument '${k}'. It takes ${allowed.join(', ')}.${didYouMean(cands)}`, cands.length ? { kind: 'replace', candidates: cands } : { kind: 'remove' });
    }
    const lacking = required.filter((k) => !findPair(m, k));
    if (lacking.length) push(keySpan(pair), 'missing-key', `${owner} requires ${lacking.join(', ')}: MLgym raises TypeError: missing required argument '${lacking[0]}'.`, { kind: 'add-keys', keys: lacking });
    return m;
  };
  const intKey = (m: ReturnType<typeof asMap>, k: string, min: number) => {
    const p = findPair(m, k);
    if (!p) return;
    const v = toPy(p.value, doc);
    if (v === null && k === 'num_batches_per_epoch') return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) push(valueSpan(p), 'wrong-type', `\`${k}\` must be an integer ≥ ${min}; PyYAML reads ${pyTypeName(v)} ${JSON.stringify(v)}.`);
  };

  // run_configuration
  const rcPair = findPair(root, 'run_configuration');
  let isWarm = false;
  const rc = rcPair ? asMap(rcPair.value, doc) : undefined;
  if (rcPair && !rc) push(valueSpan(rcPair), 'wrong-type', '`run_configuration` must be a mapping {type, config}.');
  if (rcPair && rc) {
    const typePair = findPair(rc, 'type');
    const type = typePair ? toPy(typePair.value, doc) : undefined;
    if (!typePair) push(keySpan(rcPair), 'missing-key', 'run_configuration needs `type` (train or warmstart): MLgym raises KeyError: \'type\'.', { kind: 'add-keys', keys: ['type'] });
    else if (type !== 'train') {
      isWarm = true;
      if (type !== 'warmstart' && type !== 'warm_start') push(valueSpan(typePair), 'warm-start-type', `MLgym treats any type but "train" as a warm start, so ${JSON.stringify(type)} resumes grid search \`gridsearch_id\`. Write "train" or "warmstart".`, { kind: 'replace', candidates: ['train', 'warmstart'] });
    }
    for (const p of pairsOf(rc)) {
      const k = keyString(p) ?? '';
      if (k !== 'type' && k !== 'config') push(keySpan(p), 'ignored-key', `run_configuration takes only \`type\` and \`config\`; MLgym ignores "${k}".`, { kind: 'remove' });
    }
    const cfgPair = findPair(rc, 'config');
    if (!cfgPair) push(keySpan(rcPair), 'missing-key', 'run_configuration needs `config`: MLgym raises KeyError: \'config\'.', { kind: 'add-keys', keys: ['config'] });
    else {
      const owner = isWarm ? 'WarmStartRunConfiguration' : 'TrainRunConfiguration';
      const m = checkKeys(cfgPair, isWarm ? WARM_KEYS : TRAIN_KEYS, isWarm ? ['gridsearch_id', 'num_epochs'] : ['num_epochs', 'gs_config_path'], owner);
      if (m) {
        intKey(m, 'num_epochs', 1);
        intKey(m, 'num_batches_per_epoch', 1);
        const gid = findPair(m, 'gridsearch_id');
        const gv = gid ? toPy(gid.value, doc) : undefined;
        if (gid && (typeof gv !== 'string' || !GRIDSEARCH_ID.test(gv))) push(valueSpan(gid), 'gridsearch-id', `gridsearch_id ${JSON.stringify(gv)} is not a run id (YYYY-MM-DD--HH-MM-SS, e.g. 2023-06-03--10-26-58): the REST API finds no such grid search to resume.`);
        if (gid && isWarm) push(valueSpan(gid), 'warm-start-regex', 'Warm start reads last_checkpoint_id with a regex that matches only single-digit experiment ids and epochs: experiments ≥ 10 or checkpoints at epoch ≥ 10 are not resumed.');
        const gp = findPair(m, 'gs_config_path');
        const gpv = gp ? toPy(gp.value, doc) : undefined;
        if (gp && typeof gpv !== 'string') push(valueSpan(gp), 'wrong-type', '`gs_config_path` must be a path string.');
        else if (gp && typeof gpv === 'string' && docPath) {
          const cands = gsConfigCandidates(gpv, docPath, project, sctx);
          if (!cands.some((c) => sctx.fs.exists(c))) {
            push(valueSpan(gp), 'gs-config-not-found', `${gpv} does not exist (looked in ${cands.join(', ')}). MLgym reads it with Path(...).read_text() relative to the directory \`python run.py\` starts in, not to this file; set working_directory in .cubelab/mlgym-components.yml if the run starts elsewhere.`);
          }
        }
      }
    }
  }

  // environment
  const envPair = findPair(root, 'environment');
  const env = envPair ? asMap(envPair.value, doc) : undefined;
  if (envPair && !env) push(valueSpan(envPair), 'wrong-type', '`environment` must be a mapping {type, config}.');
  if (envPair && env) {
    const tp = findPair(env, 'type');
    const t = tp ? toPy(tp.value, doc) : undefined;
    const cfg = findPair(env, 'config');
    if (!tp) push(keySpan(envPair), 'missing-key', 'environment needs `type` (multiprocessing, accelerate or main_process): MLgym raises KeyError: \'type\'.', { kind: 'add-keys', keys: ['type'] });
    else if (t === 'accelerate') {
      if (cfg) push(keySpan(cfg), 'accelerate-config-ignored', 'The accelerate environment ignores `config`: launch with `accelerate launch run.py --config_path ...`; jobs run one after the other, each distributed by HF Accelerate.');
      if (isWarm) push(valueSpan(tp), 'accelerate-warm-start', 'Warm start is not implemented for accelerate jobs (mlgym issue #241).');
    } else {
      const mode = t === 'multiprocessing' ? 'multiprocessing' : 'main_process';
      if (t !== 'multiprocessing' && t !== 'main_process') push(valueSpan(tp), 'environment-type', `MLgym knows "multiprocessing" and "accelerate"; any other type, such as ${JSON.stringify(t)}, runs as main_process.`, { kind: 'replace', candidates: ['multiprocessing', 'accelerate', 'main_process'] });
      if (mode === 'main_process') push(valueSpan(tp), 'main-process-broken', 'The main_process environment is broken at MLgym HEAD: get_sequential_gym() is called without num_epochs and raises TypeError. Use multiprocessing with process_count: 1.', { kind: 'replace', candidates: ['multiprocessing'] });
      if (!cfg) push(keySpan(envPair), 'missing-key', `environment type ${mode} needs \`config\` {${ENV_KEYS[mode].join(', ')}}: MLgym raises KeyError: 'config'.`, { kind: 'add-keys', keys: ['config'] });
      else {
        const m = checkKeys(cfg, ENV_KEYS[mode], ENV_KEYS[mode], mode === 'multiprocessing' ? 'the multiprocessing environment config' : 'the main_process environment config');
        if (m && mode === 'multiprocessing') {
          intKey(m, 'process_count', 1);
          const d = findPair(m, 'computation_device_ids');
          const dv = d ? toPy(d.value, doc) : undefined;
          if (d && (dv === null || (Array.isArray(dv) && dv.length === 0))) push(valueSpan(d), 'no-devices', 'No computation devices: MLgym warns and runs every job on the CPU.');
          else if (d && (!Array.isArray(dv) || dv.some((x) => typeof x !== 'number' || !Number.isInteger(x)))) push(valueSpan(d), 'wrong-type', '`computation_device_ids` must be a list of GPU indices (integers); process i uses devices[i % len(devices)].');
        }
        if (m && mode === 'main_process') intKey(m, 'computation_device_id', 0);
      }
    }
    for (const p of pairsOf(env)) { const k = keyString(p) ?? ''; if (k !== 'type' && k !== 'config') push(keySpan(p), 'ignored-key', `environment takes only \`type\` and \`config\`; MLgym ignores "${k}".`, { kind: 'remove' }); }
  }

  // logging
  const logPair = findPair(root, 'logging');
  if (logPair) {
    const m = checkKeys(logPair, LOGGING_KEYS, LOGGING_KEYS, 'the logging config');
    const ws = m ? findPair(m, 'websocket_logging_servers') : undefined;
    if (ws) {
      const seq = asSeq(ws.value, doc);
      if (!seq) push(valueSpan(ws), 'wrong-type', '`websocket_logging_servers` must be a list of URLs like http://127.0.0.1:5002.');
      for (const item of seq?.items ?? []) {
        const v = toPy(item, doc);
        const parts = typeof v === 'string' ? v.split(':') : [];
        const [scheme = '', host = '', port = ''] = parts;
        const ok = typeof v === 'string' && parts.length === 3 && /^[A-Za-z][\w+.-]*$/.test(scheme) && host.startsWith('//') && host.length > 2 && /^\d+$/.test(port);
        if (!ok) push(spanOf(item), 'logging-url', `${JSON.stringify(v)} is not scheme://host:port: MLgym splits each server on ":" into exactly protocol, host and port (no path) and raises ValueError otherwise. Write e.g. http://127.0.0.1:5002.`);
      }
    }
    const rest = m ? findPair(m, 'gs_rest_api_endpoint') : undefined;
    const rv = rest ? toPy(rest.value, doc) : undefined;
    if (rest && typeof rv !== 'string') push(valueSpan(rest), 'wrong-type', '`gs_rest_api_endpoint` must be a URL string such as http://127.0.0.1:5001.');
    else if (rest && typeof rv === 'string') {
      if (rv.endsWith('/')) push(valueSpan(rest), 'rest-endpoint', `MLgym appends "/checkpoints/..." to the endpoint as is, so the trailing slash produces "//" in every URL. Write ${rv.replace(/\/+$/, '')}.`, { kind: 'replace', candidates: [rv.replace(/\/+$/, '')] });
      else if (!/^[A-Za-z][\w+.-]*:\/\/[^/\s]+/.test(rv)) push(valueSpan(rest), 'rest-endpoint', `${JSON.stringify(rv)} is not a URL with a scheme (http://host:port): MLgym uses it as a plain URL prefix.`);
    }
  }
  return out;
}
