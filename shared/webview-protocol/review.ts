/**
 * The Review panel's message contract (extension: client/src/predictions/editor/reviewPanel.ts; webview:
 * webviews/review). The extension owns the predictions and the reviews file; the page owns what is shown (filter,
 * sort, the current item) and turns the review commands (VS Code keybindings on `cubelab.review.*` commands,
 * forwarded as `command` messages) into verdicts, which the extension appends to reviews.jsonl.
 */
import { isArrayOf, isBoolean, isNumber, isObject, isOptional, isString, isStringArray, messageValidator } from './guards';
import type { CocoRle, PredictedBox, PredictedMask } from '../prediction-format';

export const REVIEW_VIEW_TYPE = 'cubelab.review';

export type ReviewVerdict = 'unreviewed' | 'valid' | 'invalid' | 'corrected';
export interface ReviewCorrection { label?: string; boxes?: PredictedBox[] }

export interface ReviewItem {
  /** Index in the predictions file's good lines: the item's identity in every message. */
  i: number;
  path: string;
  label?: string;
  score?: number;
  /** The best few per-class scores, highest first. */
  top?: [string, number][];
  boxes?: PredictedBox[];
  mask?: PredictedMask;
  verdict: ReviewVerdict;
  correction?: ReviewCorrection;
}

export type ReviewCommand = 'accept' | 'reject' | 'acceptAndNext' | 'skip' | 'next' | 'previous' | 'pickClass' | 'deleteBox' | 'first' | 'last';
export const REVIEW_COMMANDS: readonly ReviewCommand[] = ['accept', 'reject', 'acceptAndNext', 'skip', 'next', 'previous', 'pickClass', 'deleteBox', 'first', 'last'];

export interface ReviewViewState {
  source: string;
  /** Class filter ('' = all). */
  label: string;
  /** Verdict filter ('' = all). */
  verdict: '' | ReviewVerdict;
  minScore: number | null;
  maxScore: number | null;
  sort: 'score-asc' | 'score-desc' | 'path';
  /** The current item (its index `i`), -1 when none. */
  current: number;
}

export type ReviewToWebview =
  | {
      type: 'init';
      source: string;
      title: string;
      /** The webview URI of the folder the paths are relative to ('' when the inputs cannot be shown). */
      imageBase: string;
      /** The webview URI of the predictions file's folder (PNG masks are relative to it). */
      maskBase: string;
      classes: string[];
      items: ReviewItem[];
      /** Lines of predictions.jsonl that could not be read (by number), and how many in all. */
      problems: { line: number; message: string }[];
      problemCount: number;
      /** The keys bound to the review commands, as VS Code shows them, for the help line. */
      keys: Record<string, string>;
    }
  /** Verdicts that changed (this window's, confirmed; another window's; an undo). */
  | { type: 'reviews'; updates: { i: number; verdict: ReviewVerdict; correction?: ReviewCorrection }[] }
  /** A review command from a keybinding or the palette; `arg` is the class number of pickClass. */
  | { type: 'command'; command: ReviewCommand; arg?: number }
  /** Show this item (after an undo: the item it changed). */
  | { type: 'reveal'; i: number };

export type ReviewFromWebview =
  | { type: 'ready' }
  | { type: 'verdict'; i: number; verdict: ReviewVerdict; correction?: ReviewCorrection }
  /** Undo this window's last verdict (the extension keeps the stack: it knows the actions' ids). */
  | { type: 'undo' }
  /** A text field inside the page has the focus: the single-key bindings must not fire while typing. */
  | { type: 'inputFocus'; focused: boolean }
  | { type: 'stateChanged'; state: ReviewViewState }
  /** Painted the current item (for the benchmark and the tests: which item, and when). */
  | { type: 'painted'; i: number };

const VERDICTS: ReadonlySet<string> = new Set(['unreviewed', 'valid', 'invalid', 'corrected']);
const isVerdict = (v: unknown): v is ReviewVerdict => isString(v) && VERDICTS.has(v);
const COMMANDS: ReadonlySet<string> = new Set(REVIEW_COMMANDS);

export function isPredictedBox(v: unknown): v is PredictedBox {
  return isObject(v) && isString(v.label) && isNumber(v.score) && isNumber(v.x) && isNumber(v.y) && isNumber(v.width) && isNumber(v.height);
}
function isRle(v: unknown): v is CocoRle {
  return isObject(v) && Array.isArray(v.size) && v.size.length === 2 && v.size.every(isNumber) && (isString(v.counts) || (Array.isArray(v.counts) && v.counts.every(isNumber)));
}
function isMask(v: unknown): v is PredictedMask {
  if (!isObject(v)) return false;
  if (v.rle !== undefined) return isArrayOf(isRle)(v.rle) && isStringArray(v.labels);
  return isString(v.png) && isObject(v.labels) && Object.values(v.labels).every(isString);
}
export function isReviewCorrection(v: unknown): v is ReviewCorrection {
  return isObject(v) && isOptional(isString)(v.label) && isOptional(isArrayOf(isPredictedBox))(v.boxes);
}
const isTop = (v: unknown): boolean => Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && isString(p[0]) && isNumber(p[1]));

export function isReviewItem(v: unknown): v is ReviewItem {
  return isObject(v) && isNumber(v.i) && isString(v.path) && isOptional(isString)(v.label) && isOptional(isNumber)(v.score)
    && (v.top === undefined || isTop(v.top)) && isOptional(isArrayOf(isPredictedBox))(v.boxes) && isOptional(isMask)(v.mask)
    && isVerdict(v.verdict) && isOptional(isReviewCorrection)(v.correction);
}

export function isReviewViewState(v: unknown): v is ReviewViewState {
  const score = (x: unknown) => x === null || isNumber(x);
  return isObject(v) && isString(v.source) && isString(v.label) && (v.verdict === '' || isVerdict(v.verdict))
    && score(v.minScore) && score(v.maxScore) && (v.sort === 'score-asc' || v.sort === 'score-desc' || v.sort === 'path') && isNumber(v.current);
}

const isUpdate = (v: unknown): boolean => isObject(v) && isNumber(v.i) && isVerdict(v.verdict) && isOptional(isReviewCorrection)(v.correction);

export const isReviewToWebview = messageValidator<ReviewToWebview>({
  init: {
    source: isString, title: isString, imageBase: isString, maskBase: isString, classes: isStringArray, items: isArrayOf(isReviewItem),
    problems: (v) => Array.isArray(v) && v.every((p) => isObject(p) && isNumber(p.line) && isString(p.message)), problemCount: isNumber,
    keys: (v) => isObject(v) && Object.values(v).every(isString),
  },
  reviews: { updates: (v) => Array.isArray(v) && v.every(isUpdate) },
  command: { command: (v) => isString(v) && COMMANDS.has(v), arg: isOptional(isNumber) },
  reveal: { i: isNumber },
});

export const isReviewFromWebview = messageValidator<ReviewFromWebview>({
  ready: {},
  verdict: { i: isNumber, verdict: isVerdict, correction: isOptional(isReviewCorrection) },
  undo: {},
  inputFocus: { focused: isBoolean },
  stateChanged: { state: isReviewViewState },
  painted: { i: isNumber },
});
