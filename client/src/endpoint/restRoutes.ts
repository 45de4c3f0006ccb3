/**
 * MLboard's REST routes (docs/mlgym.md §3.5) over the event storage folder layout (docs/mlgym.md §3.1), for what
 * an MLgym run calls: PUT of the grid search / run / experiment configs, checkpoint upload, list, download
 * and delete, the experiments list of a warm start, and the stored configs and system info; and for what
 * MLboard's frontend calls: the stored configs, checkpoint list and download, and the model card (mlboardCard.ts).
 * Every path segment must be a plain name inside the storage, else 403 as in MLboard. The status codes are
 * MLboard's (`restful_api_server.py`, `data_access.py` at [M]): a missing config or checkpoint file is 403, a
 * missing system_info.json and a checkpoint list without checkpoints are 500 (MLboard fails there), the
 * experiments of an unknown grid search are `[]`, deleting what is not there is 404, another method on a
 * route's path is 405. Departures, on purpose: `.zip` checkpoints are listed too (as MLboard's newer code
 * does), and the model card of an unknown experiment is 404 (MLboard fails with 500 for any missing input;
 * CubeLab's card is built from what there is).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { listCheckpoints, readExperimentFolder, readGridSearchFolder } from '../events/storage';
import { HttpError } from './httpError';
import { receiveUpload, TooLargeError, type UploadTarget } from './upload';
import { BusyError, type UploadGate } from './uploadGate';
import { mlboardModelCard } from './mlboardCard';
import { isPlainName, storagePath, UnsafePathError } from './safePath';

export interface RestOptions {
  /** Largest checkpoint file accepted per upload (checkpoints stream to disk as they arrive, upload.ts). */
  maxUploadBytes?: number;
  /** The bound on concurrent uploads (uploadGate.ts); none when absent. */
  uploads?: UploadGate;
  log?: (line: string) => void;
}

const CONFIG_BODY_LIMIT = 64 * 1024 * 1024;
/** 16 GiB: cubelab.endpoint.maxUploadMB's default. */
export const DEFAULT_MAX_UPLOAD_BYTES = 16 * 1024 * 1024 * 1024;
const CHECKPOINT_FILES = /\.(pickle|zip)$/;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Streams a file; a missing one is answered as MLboard's route answers it (`missing`: status and detail). */
async function sendFile(res: ServerResponse, path: string, contentType: string, missing: HttpError): Promise<void> {
  let size: number;
  try {
    const st = await fsp.stat(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw missing;
  }
  res.writeHead(200, { 'content-type': contentType, 'content-length': size });
  await new Promise<void>((resolve, reject) => {
    createReadStream(path).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
  });
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpError(413, `request body over ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `request body over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

let tmpCounter = 0;
/** Written beside the target, then renamed, so a reader watching the storage never sees half a file. */
async function writeAtomically(path: string, data: Buffer | string): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}-${++tmpCounter}.cubelab-tmp`);
  await fsp.writeFile(tmp, data);
  await fsp.rename(tmp, path);
}

/** `RawTextFile` of MLboard: `{"file_format": "YAML"|"JSON", "content": str}`. */
function rawTextContent(body: Buffer): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(422, 'body must be JSON {"file_format": ..., "content": ...}');
  }
  const content = (parsed as { content?: unknown } | null)?.content;
  if (typeof content !== 'string') throw new HttpError(422, 'body must be JSON {"file_format": ..., "content": str}');
  return content;
}

/**
 * MLboard's `get_experiment_statuses`: one entry per experiment folder, with its experiment_config.json
 * (MLboard fails with 500 when one is missing or unreadable, and so does this; a warm start needs them) and
 * the highest checkpointed epoch (numerically: MLboard's one-digit regex misses experiment 10 and epoch 10).
 * A grid search without a folder has no experiments: `[]`, as in MLboard.
 */
async function experimentsList(root: string, gs: string): Promise<unknown[]> {
  const dir = storagePath(root, gs);
  const folder = await readGridSearchFolder(dir);
  const out: unknown[] = [];
  for (const id of folder.experimentIds) {
    const exp = await readExperimentFolder(dir, id);
    if (!exp.experimentConfig) {
      const reason = exp.problems.find((p) => p.file.endsWith('experiment_config.json'))?.reason ?? 'missing';
      throw new HttpError(500, `experiment ${id} of ${gs}: experiment_config.json ${reason}`);
    }
    const last = exp.checkpoints[exp.checkpoints.length - 1]?.epoch ?? -1;
    out.push({ experiment_id: Number(id), last_checkpoint_id: last, experiment_config: exp.experimentConfig });
  }
  return out;
}

/** Python's string order (by code point; JavaScript's `<` compares UTF-16 units, which differs past U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let k = 0; k < Math.min(x.length, y.length); k++) {
    const d = (x[k]?.codePointAt(0) ?? 0) - (y[k]?.codePointAt(0) ?? 0);
    if (d) return d;
  }
  return x.length - y.length;
}

interface CheckpointEntry {
  experiment_id: string;
  epoch: string;
  checkpoints: string[];
}

/**
 * MLboard's `get_checkpoint_list`: the checkpoint files' paths `<epoch>/<file>` sorted in reverse string
 * order (so epoch "9" comes before "10", and "10" before "1"; files in reverse name order too), grouped by
 * epoch as they come. With `epoch`, `get_checkpoint_dict_epoch`: one entry, the epoch as given, even without
 * files. Checkpoint files are `*.pickle` and, as in MLboard's newer code ([D]), `*.zip`.
 */
async function checkpointList(root: string, gs: string, exp: string, epoch?: string): Promise<CheckpointEntry[]> {
  const dir = storagePath(root, gs, exp);
  const folders = await listCheckpoints(dir);
  const chosen = epoch === undefined ? folders : folders.filter((c) => basename(c.dir) === epoch);
  const paths = chosen.flatMap((c) => c.files.filter((f) => CHECKPOINT_FILES.test(f)).map((f) => ({ epoch: basename(c.dir), file: f, key: `${basename(c.dir)}/${f}` })));
  paths.sort((a, b) => compareCodePoints(b.key, a.key));
  if (epoch !== undefined) return [{ experiment_id: exp, epoch, checkpoints: paths.map((p) => p.file) }];
  // MLboard reads the first of the files and fails with 500 when there is none; its frontend shows "No checkpoints available".
  if (!paths.length) throw new HttpError(500, `no checkpoints of experiment ${exp} in ${gs}`);
  const out: CheckpointEntry[] = [];
  for (const p of paths) {
    const last = out[out.length - 1];
    if (last && last.epoch === p.epoch) last.checkpoints.push(p.file);
    else out.push({ experiment_id: exp, epoch: p.epoch, checkpoints: [p.file] });
  }
  return out;
}

async function removeCheckpoint(root: string, gs: string, exp: string, epoch: string, resource?: string): Promise<void> {
  const epochDir = storagePath(root, gs, exp, epoch);
  try {
    if (resource === undefined) {
      await fsp.access(epochDir);
      await fsp.rm(epochDir, { recursive: true });
      return;
    }
    await fsp.unlink(storagePath(root, gs, exp, epoch, resource));
  } catch {
    throw new HttpError(404, 'not found');
  }
  // As MLboard: the epoch folder goes when its last file does.
  if ((await fsp.readdir(epochDir)).length === 0) await fsp.rmdir(epochDir);
}

/** Splits the raw request path; `..`, `.`, empty and encoded separators are refused as unsafe. */
export function pathSegments(url: string): string[] {
  const path = url.split('?')[0] ?? ''; // split yields at least one part
  const raw = path.split('/').slice(1);
  return raw.map((s) => {
    let name: string;
    try {
      name = decodeURIComponent(s);
    } catch {
      throw new UnsafePathError(path);
    }
    if (!isPlainName(name)) throw new UnsafePathError(path);
    return name;
  });
}

/** The methods of MLboard's routes for a path of `n` segments under `route` (none: no such route, 404). */
function allowedMethods(route: string | undefined, n: number): string[] {
  if (route === 'grid_searches' && (n === 3 || n === 4)) return ['GET', 'PUT'];
  if (route === 'checkpoint_list' && (n === 3 || n === 4)) return ['GET'];
  if (route === 'checkpoints' && n === 4) return ['POST', 'DELETE'];
  if (route === 'checkpoints' && n === 5) return ['GET', 'POST', 'DELETE'];
  if ((route === 'model-card' || route === 'system-info') && n === 3) return ['GET'];
  return [];
}

/** Handles one REST request (404 when it is none of MLboard's routes, 405 for another method on one). */
export async function handleRest(req: IncomingMessage, res: ServerResponse, root: string, options: RestOptions = {}): Promise<void> {
  const limit = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const method = req.method ?? 'GET';
  const upload = async (target: UploadTarget): Promise<void> => {
    const release = options.uploads ? await options.uploads.acquire(req) : () => undefined;
    try {
      await receiveUpload(req, target, { maxUploadBytes: limit });
    } finally {
      release();
    }
  };
  try {
    const seg = pathSegments(req.url ?? '/');
    // Every route below has at least 3 segments; b and c only where n says they are there.
    const [route, gs = '', a = '', b = '', c = ''] = seg;
    const n = seg.length;
    if (route === 'grid_searches' && n === 3 && a === 'experiments' && method === 'GET') {
      sendJson(res, 200, await experimentsList(root, gs));
    } else if (route === 'grid_searches' && n === 3 && method === 'GET') {
      await sendFile(res, storagePath(root, gs, `${a}.yml`), 'application/yml', new HttpError(403, `Provided invalid grid_search_id ${gs}`));
    } else if (route === 'grid_searches' && n === 4 && method === 'GET') {
      await sendFile(res, storagePath(root, gs, a, `${b}.json`), 'application/json', new HttpError(403, `Provided invalid grid_search_id ${gs}`));
    } else if (route === 'grid_searches' && (n === 3 || n === 4) && method === 'PUT') {
      const target = storagePath(root, ...seg.slice(1));
      const content = rawTextContent(await readBody(req, CONFIG_BODY_LIMIT));
      await writeAtomically(target, content);
      options.log?.(`PUT ${seg.slice(1).join('/')}`);
      sendJson(res, 200, null);
    } else if (route === 'checkpoint_list' && (n === 3 || n === 4) && method === 'GET') {
      sendJson(res, 200, await checkpointList(root, gs, a, n === 4 ? b : undefined));
    } else if (route === 'checkpoints' && n === 5 && method === 'GET') {
      await sendFile(res, storagePath(root, gs, a, b, c), 'application/octet-stream', new HttpError(403, 'Provided invalid parameters for checkpoint resource.'));
    } else if (route === 'checkpoints' && n === 4 && method === 'POST') {
      await upload({ root, gs, exp: a, epoch: b });
      options.log?.(`POST checkpoint ${seg.slice(1).join('/')}`);
      sendJson(res, 200, null);
    } else if (route === 'checkpoints' && n === 5 && method === 'POST') {
      // Earlier MLboard's upload route (resource in the path); MLboard at [M] answers it 405.
      await upload({ root, gs, exp: a, epoch: b, resource: c });
      options.log?.(`POST checkpoint ${seg.slice(1).join('/')}`);
      sendJson(res, 200, null);
    } else if (route === 'checkpoints' && (n === 4 || n === 5) && method === 'DELETE') {
      await removeCheckpoint(root, gs, a, b, n === 5 ? c : undefined);
      sendJson(res, 200, null);
    } else if (route === 'model-card' && n === 3 && method === 'GET') {
      const card = await mlboardModelCard(root, gs, a);
      if (!card) throw new HttpError(404, `no experiment ${a} in grid search ${gs}`);
      sendJson(res, 200, card);
    } else if (route === 'system-info' && n === 3 && method === 'GET') {
      // MLboard's route catches only SystemInfoFetchError: the InvalidPathError of a missing file is a 500.
      await sendFile(res, storagePath(root, gs, a, 'system_info.json'), 'application/json', new HttpError(500, `no system_info.json for experiment ${a} of ${gs}`));
    } else {
      const allowed = allowedMethods(route, n);
      if (allowed.length) {
        res.setHeader('allow', allowed.join(', '));
        sendJson(res, 405, { detail: 'Method Not Allowed' });
      } else {
        sendJson(res, 404, { detail: 'Not Found' });
      }
    }
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A body declared too large is not read: the connection closes after the answer.
    if (err instanceof TooLargeError && err.closeConnection) res.setHeader('connection', 'close');
    // A refused upload's body is not read either.
    if (err instanceof BusyError) res.setHeader('retry-after', String(err.retryAfterSeconds)).setHeader('connection', 'close');
    if (err instanceof UnsafePathError) sendJson(res, 403, { detail: `Provided unsafe path ${err.requested}` });
    else if (err instanceof HttpError) sendJson(res, err.status, { detail: err.message });
    else {
      options.log?.(`REST ${method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      sendJson(res, 500, { detail: 'internal error' });
    }
  }
}
