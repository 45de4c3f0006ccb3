/**
 * Checkpoint uploads (`POST /checkpoints/{gs}/{exp}/{epoch}`, docs/mlgym.md §3.5), streamed to disk: the
 * multipart body goes through busboy (a maintained streaming parser) straight into a temporary file beside
 * the target, which is renamed into place once complete, so memory stays constant whatever the checkpoint's
 * size and a reader of the storage never sees half a file. Forms accepted:
 * - MLboard at HEAD (MLgym's `requests.post(files={"checkpoint_file": (name, bytes)})`): field
 *   `checkpoint_file`, whose upload file name is the resource name; names that are not plain names are 403,
 *   as MLboard's `is_safe_path` answers (busboy's `preservePath` keeps the name as sent, so `../x` is seen);
 * - earlier MLboard: the resource in the path and a field `file` holding the base64 of the bytes.
 */
import type { IncomingMessage } from 'node:http';
import { createWriteStream, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { HttpError } from './httpError';
import { isPlainName, storagePath, UnsafePathError } from './safePath';

/** Decodes base64 text as it streams (chunks need not end on a 4-character boundary); other characters are skipped. */
class Base64Decoder extends Transform {
  private rest = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const text = this.rest + chunk.toString('latin1').replace(/[^A-Za-z0-9+/=_-]/g, '');
    const whole = text.length - (text.length % 4);
    this.rest = text.slice(whole);
    done(null, Buffer.from(text.slice(0, whole), 'base64'));
  }

  override _flush(done: TransformCallback): void {
    done(null, Buffer.from(this.rest, 'base64'));
  }
}

let tmpCounter = 0;

export interface UploadTarget {
  root: string;
  gs: string;
  exp: string;
  epoch: string;
  /** The resource of the earlier form (in the path); undefined for MLboard's HEAD form. */
  resource?: string;
}

export interface UploadLimits {
  /** Largest checkpoint file accepted, per upload: beyond it the upload is refused with 413 and nothing stays. */
  maxUploadBytes: number;
}

/** Room for the multipart framing around the file when judging a declared Content-Length. */
const FORM_OVERHEAD = 64 * 1024;

/** 413 for a body declared too large: answered before reading it, and the connection closed (not drained). */
export class TooLargeError extends HttpError {
  constructor(readonly closeConnection: boolean, limit: number) {
    super(413, `checkpoint upload over ${limit} bytes (cubelab.endpoint.maxUploadMB)`);
  }
}

/** Streams one upload into the storage; resolves with the written path. */
export async function receiveUpload(req: IncomingMessage, target: UploadTarget, limits: UploadLimits): Promise<string> {
  if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(422, 'expected multipart/form-data');
  // Every path segment is checked before a byte is read.
  const epochDir = storagePath(target.root, target.gs, target.exp, target.epoch);
  if (target.resource !== undefined) storagePath(target.root, target.gs, target.exp, target.epoch, target.resource);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxUploadBytes + FORM_OVERHEAD) throw new TooLargeError(true, limits.maxUploadBytes);
  let parser: busboy.Busboy;
  try {
    // busboy's limit is exclusive (reaching it truncates): one more byte than the largest file accepted. The
    // earlier form sends base64, 4 characters for 3 bytes (plus line breaks, if any); its decoded size is checked after.
    const fileSize = (target.resource === undefined ? limits.maxUploadBytes : Math.ceil(limits.maxUploadBytes / 3) * 4 + 4096) + 1;
    parser = busboy({ headers: req.headers, preservePath: true, limits: { fileSize, files: 1, fields: 16, fieldSize: 64 * 1024, parts: 32, headerPairs: 64 } });
  } catch (err) {
    throw new HttpError(422, (err as Error).message);
  }
  const field = target.resource === undefined ? 'checkpoint_file' : 'file';
  const tmp = join(epochDir, `.${process.pid}-${++tmpCounter}.cubelab-tmp`);
  let name: string | undefined;
  let writing: Promise<void> | undefined;
  let failure: Error | undefined;

  const finished = new Promise<void>((resolve, reject) => {
    parser.on('file', (fieldName: string, stream: Readable, info: busboy.FileInfo) => {
      if (fieldName !== field || writing || failure) {
        stream.resume();
        return;
      }
      if (target.resource === undefined) {
        if (!isPlainName(info.filename ?? '')) {
          failure = new UnsafePathError(String(info.filename));
          stream.resume();
          return;
        }
        name = info.filename;
      } else {
        name = target.resource;
      }
      writing = (async () => {
        await fsp.mkdir(dirname(tmp), { recursive: true });
        if (target.resource === undefined) await pipeline(stream, createWriteStream(tmp));
        else await pipeline(stream, new Base64Decoder(), createWriteStream(tmp));
      })();
      writing.catch((err: Error) => {
        failure ??= err;
        stream.resume();
      });
      // busboy stops the file at the limit (the rest of the body is read and dropped, so the 413 reaches the client).
      stream.on('limit', () => {
        failure ??= new TooLargeError(false, limits.maxUploadBytes);
      });
    });
    parser.on('error', (err: Error) => reject(new HttpError(422, err.message)));
    parser.on('close', () => resolve());
    // A client that goes away mid-upload: the file stream is destroyed, so the write ends and the temporary file goes.
    req.on('close', () => {
      if (req.complete) return;
      parser.destroy(new Error('upload aborted'));
      reject(new HttpError(400, 'upload aborted'));
    });
    req.on('error', (err) => reject(err));
  });
  req.pipe(parser);
  try {
    await finished;
    if (writing) await writing.catch(() => undefined);
    if (failure) throw failure;
    if (!writing || name === undefined) throw new HttpError(422, `missing form field ${field}`);
    if ((await fsp.stat(tmp)).size > limits.maxUploadBytes) throw new TooLargeError(false, limits.maxUploadBytes);
    const path = storagePath(target.root, target.gs, target.exp, target.epoch, name);
    await fsp.rename(tmp, path);
    return path;
  } finally {
    await writing?.catch(() => undefined);
    await fsp.rm(tmp, { force: true });
  }
}
