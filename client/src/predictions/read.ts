/**
 * Reads a `predictions.jsonl` (shared/prediction-format.ts) in chunks: every good line is kept, every bad one
 * reported with its 1-based line number and left out, so one broken line never hides the rest. A line longer
 * than `maxLineBytes` is reported without being held in memory. Pure Node: no `vscode`.
 */
import { open } from 'node:fs/promises';
import { parsePredictionLine, type Prediction, type PredictionProblem } from '../../../shared/prediction-format';

export interface PredictionsFile {
  file: string;
  predictions: Prediction[];
  /** The 1-based line of each prediction (same index). */
  lines: number[];
  /** Bad lines, in order (the first `maxProblems` of them). */
  problems: PredictionProblem[];
  /** Every bad line counted, beyond `problems` too. */
  problemCount: number;
  /** Non-empty lines read. */
  lineCount: number;
}

export interface ReadOptions { maxLineBytes?: number; maxProblems?: number; signal?: AbortSignal }

export const MAX_LINE_BYTES = 1 << 20;

export async function readPredictions(file: string, opts: ReadOptions = {}): Promise<PredictionsFile> {
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const maxProblems = opts.maxProblems ?? 200;
  const out: PredictionsFile = { file, predictions: [], lines: [], problems: [], problemCount: 0, lineCount: 0 };
  const problem = (line: number, message: string) => {
    out.problemCount++;
    if (out.problems.length < maxProblems) out.problems.push({ line, message });
  };
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    // A line inside one chunk is decoded at once; the pieces of a line that spans chunks are kept as bytes and
    // decoded whole (so a character split between chunks survives), up to maxLine bytes.
    let pieces: Buffer[] = [];
    let partialBytes = 0;
    let tooLong = false;
    let lineNo = 0;
    const finish = (text: string) => {
      lineNo++;
      if (tooLong) { problem(lineNo, `the line is longer than ${maxLine} bytes`); tooLong = false; return; }
      const t = text.trim();
      if (!t) return;
      out.lineCount++;
      const r = parsePredictionLine(t, lineNo);
      if (r.ok) { out.predictions.push(r.prediction); out.lines.push(lineNo); } else problem(r.problem.line, r.problem.message);
    };
    const pending = (): string => {
      const text = tooLong ? '' : Buffer.concat(pieces).toString('utf8');
      pieces = []; partialBytes = 0;
      return text;
    };
    for (;;) {
      if (opts.signal?.aborted) throw new Error('Reading the predictions was cancelled.');
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (!bytesRead) break;
      const chunk = buf.subarray(0, bytesRead);
      let start = 0;
      while (start < chunk.length) {
        const nl = chunk.indexOf(10, start);
        const end = nl < 0 ? chunk.length : nl;
        if (!tooLong) {
          partialBytes += end - start;
          if (partialBytes > maxLine) { tooLong = true; pieces = []; }
          else if (nl < 0 || pieces.length) pieces.push(Buffer.from(chunk.subarray(start, end))); // buf is read into again
        }
        if (nl < 0) break;
        finish(pieces.length || tooLong ? pending() : chunk.toString('utf8', start, end));
        pieces = []; partialBytes = 0;
        start = end + 1;
      }
    }
    if (partialBytes > 0 || tooLong) finish(pending());
  } finally {
    await fh.close();
  }
  return out;
}
