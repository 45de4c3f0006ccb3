/**
 * Reviews of predictions: `reviews.jsonl` beside `predictions.jsonl`, append-only. Each line is one action,
 * keyed by the input file's sha256 and the model's digest:
 *   {"v":1,"id":"<uuid>","at":"<ISO time>","sha256":"…","model":"…","verdict":"valid"|"invalid"|"corrected"|"unreviewed",
 *    "correction":{"label":"7"} | {"boxes":[…]}}
 *   {"v":1,"id":"<uuid>","at":"…","undo":"<id of an earlier action>"}
 * An item's verdict is its last action that was not undone (an undone action leaves the one before it in force),
 * so the file replays to the same state in any window, and undo survives a reload. Every line is written with one
 * append (O_APPEND, one write call), so two windows reviewing the same run interleave whole lines and lose nothing;
 * each window follows the file's growth and folds in what the other appended. Pure Node: no `vscode`.
 */
import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import type { PredictedBox } from '../../../shared/prediction-format';

export type Verdict = 'unreviewed' | 'valid' | 'invalid' | 'corrected';
export interface Correction { label?: string; boxes?: PredictedBox[] }

export interface ReviewAction {
  v: 1;
  id: string;
  at: string;
  sha256: string;
  model: string;
  verdict: Verdict;
  correction?: Correction;
}
export interface UndoAction { v: 1; id: string; at: string; undo: string }
export type ReviewLine = ReviewAction | UndoAction;

export interface ItemReview { verdict: Verdict; correction?: Correction; at?: string; actionId?: string }

/** Shared by every item without a verdict in force (most of a fresh run's): read only. */
const UNREVIEWED: ItemReview = Object.freeze({ verdict: 'unreviewed' });

export const reviewKey = (sha256: string, model: string): string => `${sha256} ${model}`;

const VERDICTS: ReadonlySet<string> = new Set(['unreviewed', 'valid', 'invalid', 'corrected']);

function isBox(b: unknown): b is PredictedBox {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return typeof o.label === 'string' && ['score', 'x', 'y', 'width', 'height'].every((k) => typeof o[k] === 'number' && Number.isFinite(o[k] as number));
}

/** One line of reviews.jsonl, checked; undefined for a line that is not one (it is skipped and counted). */
export function parseReviewLine(text: string): ReviewLine | undefined {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return undefined; }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.v !== 1 || typeof o.id !== 'string' || typeof o.at !== 'string') return undefined;
  if (typeof o.undo === 'string') return { v: 1, id: o.id, at: o.at, undo: o.undo };
  if (typeof o.sha256 !== 'string' || typeof o.model !== 'string' || typeof o.verdict !== 'string' || !VERDICTS.has(o.verdict)) return undefined;
  const a: ReviewAction = { v: 1, id: o.id, at: o.at, sha256: o.sha256, model: o.model, verdict: o.verdict as Verdict };
  if (o.correction !== undefined) {
    const c = o.correction as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null) return undefined;
    const corr: Correction = {};
    if (c.label !== undefined) { if (typeof c.label !== 'string') return undefined; corr.label = c.label; }
    if (c.boxes !== undefined) { if (!Array.isArray(c.boxes) || !c.boxes.every(isBox)) return undefined; corr.boxes = c.boxes as PredictedBox[]; }
    a.correction = corr;
  }
  return a;
}

/** The state of every reviewed item, folded from the lines in file order. */
export class ReviewState {
  /** Per item key: its actions in order (undone ones included, flagged by `undone`). */
  private readonly history = new Map<string, ReviewAction[]>();
  /** The same lists by model, then sha256: the strings of a parsed line keep their hash, a joined key does not. */
  private readonly byModel = new Map<string, Map<string, ReviewAction[]>>();
  private readonly byId = new Map<string, ReviewAction>();
  private readonly undone = new Set<string>();
  badLines = 0;
  lines = 0;

  apply(line: ReviewLine): string | undefined {
    this.lines++;
    if ('undo' in line) {
      this.undone.add(line.undo);
      const target = this.byId.get(line.undo);
      return target ? reviewKey(target.sha256, target.model) : undefined;
    }
    if (this.byId.has(line.id)) return undefined; // the same line twice (a copy of the file): once
    const key = reviewKey(line.sha256, line.model);
    this.byId.set(line.id, line);
    const h = this.history.get(key);
    if (h) h.push(line);
    else {
      const list = [line];
      this.history.set(key, list);
      let m = this.byModel.get(line.model);
      if (!m) { m = new Map(); this.byModel.set(line.model, m); }
      m.set(line.sha256, list);
    }
    return key;
  }

  get(sha256: string, model: string): ItemReview {
    return this.latest(this.byModel.get(model)?.get(sha256));
  }

  getKey(key: string): ItemReview {
    return this.latest(this.history.get(key));
  }

  /** An item's verdict in force: its last action not undone. */
  private latest(h: ReviewAction[] | undefined): ItemReview {
    if (h) {
      for (let i = h.length - 1; i >= 0; i--) {
        const a = h[i]!;
        if (this.undone.has(a.id)) continue;
        const r: ItemReview = { verdict: a.verdict, at: a.at, actionId: a.id };
        if (a.correction) r.correction = a.correction;
        return r;
      }
    }
    return UNREVIEWED;
  }

  isUndone(id: string): boolean { return this.undone.has(id); }
  /** The item key an action was about (undefined for an unknown id). */
  keyOfAction(id: string): string | undefined { const a = this.byId.get(id); return a ? reviewKey(a.sha256, a.model) : undefined; }
  keys(): IterableIterator<string> { return this.history.keys(); }
}

/**
 * One window's view of a reviews file: reads what is there, appends actions, and follows what other windows
 * append (call `refresh()`; a watcher or a timer does). Lines are read from the last offset on; a partial last
 * line waits for its newline.
 */
export class ReviewsFile {
  readonly state = new ReviewState();
  private offset = 0;
  private partial = '';
  /** Keys changed by lines read inside `append` (another window's included), handed out by the next `refresh`. */
  private unseen = new Set<string>();

  constructor(readonly path: string) {}

  /** Reads lines appended since the last read; returns the keys whose state may have changed. */
  async refresh(): Promise<string[]> {
    const changed = new Set<string>(this.unseen);
    this.unseen.clear();
    if (!existsSync(this.path)) return [...changed];
    const size = statSync(this.path).size;
    if (size < this.offset) { this.offset = 0; this.partial = ''; } // replaced by a shorter file: read it again
    if (size === this.offset) return [...changed];
    const fh = await open(this.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(size - this.offset, 8 << 20));
      while (this.offset < size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - this.offset), this.offset);
        if (!bytesRead) break;
        this.offset += bytesRead;
        const text = this.partial + buf.toString('utf8', 0, bytesRead);
        const parts = text.split('\n');
        this.partial = parts.pop() ?? '';
        for (const p of parts) {
          if (!p.trim()) continue;
          const line = parseReviewLine(p);
          if (!line) { this.state.badLines++; continue; }
          const k = this.state.apply(line);
          if (k) changed.add(k);
        }
      }
    } finally {
      await fh.close();
    }
    return [...changed];
  }

  /**
   * Appends one action (one write with O_APPEND: whole lines, whatever another window appends at the same time)
   * and folds it in. Lines another window appended before it are folded in first, so order is the file's.
   */
  async append(action: { sha256: string; model: string; verdict: Verdict; correction?: Correction } | { undo: string }): Promise<ReviewLine> {
    const base = { v: 1 as const, id: randomUUID(), at: new Date().toISOString() };
    const line: ReviewLine = 'undo' in action ? { ...base, undo: action.undo }
      : { ...base, sha256: action.sha256, model: action.model, verdict: action.verdict, ...(action.correction ? { correction: action.correction } : {}) };
    const fh = await open(this.path, 'a');
    try { await fh.write(JSON.stringify(line) + '\n'); } finally { await fh.close(); }
    for (const k of await this.refresh()) this.unseen.add(k);
    return line;
  }
}
