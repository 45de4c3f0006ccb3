/**
 * Budgets for work a document can make arbitrarily expensive. The server has one thread: a file from a cloned
 * repository (an interpolation that doubles at every level, a pathological pattern) must not keep it from
 * answering anything else. Two kinds of bounds:
 *
 * - sizes: code that builds values from the document (the `${...}` resolver) refuses a value past a fixed
 *   size by calling `exceedBudget`;
 * - time: work runs inside `withinBudget(ms, fn)`, and the loops the document drives call `checkBudget()`,
 *   which throws once the deadline has passed (cooperative: nothing is interrupted between two checks).
 *
 * Either way the budget is marked exceeded, for good: code that catches every error (a resolver error, a
 * parser's stack overflow) cannot hide it, and `validateWithinBudget` replaces what a validation found with
 * one diagnostic saying the document was too expensive to check.
 */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import type { AnalyzedDocument } from './languageService';
import { SOURCE } from './diagnostic';

/** Time one validation of one document may take. */
export const VALIDATION_BUDGET_MS = 3000;
/** Time any other request on one document (hover, completion, a task plan, ...) may take. */
export const REQUEST_BUDGET_MS = 1500;
/** The diagnostic code of a document that was too expensive to check. */
export const TOO_EXPENSIVE = 'cubelab/too-expensive';

/** Thrown by `checkBudget` and `exceedBudget`; `withinBudget` catches it. */
export class BudgetExceeded extends Error {
  constructor(readonly reason: string) { super(`too expensive: ${reason}`); }
}

interface Budget {
  readonly deadline: number;
  readonly ms: number;
  readonly parent: Budget | undefined;
  ticks: number;
  /** Why the budget was exceeded, once it was. */
  exceeded?: string;
  /** Offsets in the document of what was being checked when it was exceeded, when known. */
  at?: [number, number];
}

let current: Budget | undefined;

export type BudgetOutcome<T> =
  | { exceeded: false; value: T }
  | { exceeded: true; reason: string; at?: [number, number]; value?: T };

/**
 * Runs `fn` with a deadline `ms` from now (or the enclosing budget's, when that is sooner). When the budget is
 * exceeded (a `checkBudget` past the deadline, an `exceedBudget`), says so, with `fn`'s value if it still
 * returned one (code that turned the interruption into an answer of its own, such as a resolver error).
 */
export function withinBudget<T>(ms: number, fn: () => T): BudgetOutcome<T> {
  const parent = current;
  const now = performance.now();
  const b: Budget = { deadline: Math.min(now + ms, parent?.deadline ?? Infinity), ms: parent && parent.deadline < now + ms ? parent.ms : ms, parent, ticks: 0 };
  current = b;
  try {
    const value = fn();
    return b.exceeded === undefined ? { exceeded: false, value } : { exceeded: true, reason: b.exceeded, at: b.at, value };
  } catch (err) {
    if (!(err instanceof BudgetExceeded) && b.exceeded === undefined) throw err;
    return { exceeded: true, reason: b.exceeded ?? (err as BudgetExceeded).reason, at: b.at };
  } finally {
    current = parent;
  }
}

function mark(b: Budget, reason: string): void {
  if (b.exceeded === undefined) b.exceeded = reason;
}

/**
 * The cooperative check: throws `BudgetExceeded` when the current budget is exhausted. Cheap enough for hot
 * loops (the clock is read on the first call and then every 32nd); does nothing outside `withinBudget`.
 */
export function checkBudget(): void {
  const b = current;
  if (!b) return;
  if (b.exceeded !== undefined) throw new BudgetExceeded(b.exceeded);
  if ((b.ticks++ & 31) !== 0) return;
  const now = performance.now();
  if (now <= b.deadline) return;
  const reason = `checking it took more than ${b.ms.toLocaleString('en-US')} ms`;
  // The deadline may be the enclosing budget's: that one is spent too.
  for (let p: Budget | undefined = b; p && p.deadline <= now; p = p.parent) mark(p, reason);
  throw new BudgetExceeded(b.exceeded ?? reason);
}

/** Refuses work past a size bound: marks the current budget (if any) exceeded and throws. */
export function exceedBudget(reason: string): never {
  if (current) mark(current, reason);
  throw new BudgetExceeded(current?.exceeded ?? reason);
}

/** True once the current budget is exceeded (work may stop early: its result will not be used). */
export function budgetExceeded(): boolean {
  return current?.exceeded !== undefined;
}

/** Tells the current budget where in the document it was exceeded (the first place told wins). */
export function exceededAt(start: number, end: number): void {
  if (current && current.exceeded !== undefined && !current.at) current.at = [start, end];
}

/** The one diagnostic of a document too expensive to check: at the place that made it so, else on line 1. */
export function tooExpensiveDiagnostic(doc: AnalyzedDocument, reason: string, at?: [number, number]): Diagnostic {
  const { lines, text } = doc.parsed;
  const firstLineEnd = text.search(/\r?\n|$/);
  const range = at ? lines.range(at[0], at[1]) : lines.range(0, firstLineEnd);
  return {
    range,
    severity: DiagnosticSeverity.Warning,
    code: TOO_EXPENSIVE,
    source: SOURCE,
    message: `This document is too expensive to check (${reason}), so CubeLab stopped checking it and shows no other problem in it. Simplify it to have it checked again.`,
  };
}

/** A validation within the validation budget: its diagnostics, or the one diagnostic saying it was too expensive. */
export function validateWithinBudget(doc: AnalyzedDocument, validate: () => Diagnostic[], ms = VALIDATION_BUDGET_MS): Diagnostic[] {
  const r = withinBudget(ms, validate);
  return r.exceeded ? [tooExpensiveDiagnostic(doc, r.reason, r.at)] : r.value;
}
