/**
 * `${...}` checks, resolved the way OmegaConf does over the effective configuration mlcube builds
 * (docs/mlcube.md §1.1, §1.7): `OmegaConf.resolve` runs on the whole file, so an
 * unresolvable interpolation fails every platform, even in a section the runner never reads. Also the
 * legacy `$WORKSPACE` token, which v2 no longer expands.
 */
import { dirname } from 'node:path';
import { findInterpolations, parseValue, resolveValue, type Resolution, type ResolutionError } from './interpolation';
import { didYouMean, q, type CheckContext } from './checkContext';
import { spanInString, type Span, type StringValue } from './model';
import type { MlcubeCode } from './codes';
import { budgetExceeded, checkBudget, exceededAt } from '../service/budget';

/** Keys mlcube replaces; interpolations written under them never run. */
const OVERWRITTEN = new Set(['runtime', 'workspace']);
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export function checkInterpolations(c: CheckContext, config: Record<string, unknown> | undefined): void {
  const text = c.doc.parsed.text;
  // The same `${x}` written in many places resolves the same way unless it is relative (`${.x}`).
  const cache = new Map<string, Resolution>();
  for (const s of c.model.strings) {
    // Most strings hold neither token: test the value before asking for the key path (built on demand).
    const v = s.value;
    const workspace = v.includes('$WORKSPACE');
    const interpolation = config !== undefined && v.includes('${');
    if (!workspace && !interpolation) continue;
    if (workspace && s.path[0] === 'tasks') checkWorkspaceToken(c, s, text);
    if (!config || !interpolation || OVERWRITTEN.has(String(s.path[0]))) continue;
    // A document too expensive to check gets one diagnostic for all (service/budget.ts), at the value that
    // was next when the time ran out.
    try {
      checkBudget();
    } catch (e) {
      if (s.node.range) exceededAt(s.node.range[0], s.node.range[1]);
      throw e;
    }
    try {
      checkString(c, s, config, text, cache);
    } catch {
      // Pathological nesting (thousands of `${`) overflows the parser's stack; OmegaConf's parser would
      // fail on it too. Nothing useful to say about such a value.
    }
    if (budgetExceeded()) return;
  }
}

function checkString(c: CheckContext, s: StringValue, config: Record<string, unknown>, text: string, cache: Map<string, Resolution>): void {
  const path = s.path.map(String);
  const parsed = parseValue(s.value);
  if (!parsed.ok) {
    const pos = Number(/at position (\d+)/.exec(parsed.message)?.[1] ?? s.value.length);
    const start = Math.max(0, s.value.lastIndexOf('${', Math.max(0, pos - 1)));
    const end = Math.min(s.value.length, Math.max(pos + 1, start + 2));
    c.report('mlcube/interpolation-syntax', spanInString(s.node, text, start, end),
      `OmegaConf cannot parse this interpolation (${parsed.message.replace(/ of '[\s\S]*'$/, '')}): mlcube fails at load with "GrammarParseError". Write \`\\\${\` for a literal "\${".`,
      { expression: s.value.slice(start, end) });
    return;
  }
  for (const span of findInterpolations(s.value)) {
    const expr = s.value.slice(span.start, span.end);
    const relative = /\$\{\s*\./.test(expr);
    let r = relative ? undefined : cache.get(expr);
    if (!r) {
      r = resolveValue(expr, config, c.ctx.env, { path });
      if (!relative) cache.set(expr, r);
    }
    if (r.ok) continue;
    if (r.error.code === 'too-expensive') {
      // Not an mlcube error: the value is too big (or the time ran out) to check. Where, for the one diagnostic.
      const [start, end] = spanInString(s.node, text, span.start, span.end);
      exceededAt(start, end);
      return;
    }
    report(c, s, span.start, span.end, expr, r.error, config, text);
  }
}

function report(c: CheckContext, s: StringValue, start: number, end: number, expr: string, err: ResolutionError, config: Record<string, unknown>, text: string): void {
  const span: Span = spanInString(s.node, text, start, end);
  const inner = expr.slice(2, -1).trim();
  const via = err.expr && err.expr !== expr ? ` (via ${q(err.expr)})` : '';
  let code: MlcubeCode;
  let message: string;
  let data: Record<string, unknown> = { expression: expr };
  switch (err.code) {
    case 'missing-key':
      if (ENV_NAME.test(inner) && !(inner in config)) {
        code = 'mlcube/env-var-as-key';
        const replacement = '${oc.env:' + inner + '}';
        message = `OmegaConf reads ${q(expr)} as a key of this file, not as the environment variable ${inner}: mlcube fails with "InterpolationKeyError '${inner}' not found". Write ${q('$' + inner)} (expanded when the path is used) or ${q(replacement)}.`;
        data = { expression: expr, variable: inner, replacement };
      } else {
        code = 'mlcube/unresolved-interpolation';
        const near = !via && /^[A-Za-z0-9_.-]+$/.test(inner) ? didYouMean(inner, keyPaths(config)) : undefined;
        const suggestion = near ? '${' + near + '}' : undefined;
        message = `${q(expr)} cannot be resolved${via}: mlcube fails at load with "${err.message}" (OmegaConf resolves every \${...} in the file, whatever the platform or task).${suggestion ? ` Did you mean ${q(suggestion)}?` : ''}`;
        if (suggestion) data = { expression: expr, suggestion };
      }
      break;
    case 'env-unset': {
      code = 'mlcube/env-unset';
      const variable = /Environment variable '([^']*)'/.exec(err.message)?.[1] ?? inner;
      message = `The environment variable ${variable} is not set here and ${q(expr)} has no default: mlcube fails with "InterpolationResolutionError" unless ${variable} is set where it runs. Add a default: ${q('${oc.env:' + variable + ',VALUE}')}.`;
      data = { expression: expr, variable };
      break;
    }
    case 'cycle':
      code = 'mlcube/interpolation-cycle';
      message = `${q(expr)} refers back to itself${via}: mlcube fails with "${err.message}".`;
      break;
    case 'unknown-resolver':
      code = 'mlcube/unknown-resolver';
      message = `${q(expr)} ${via ? `cannot be resolved${via}, which uses` : 'uses'} a resolver mlcube does not register: it fails with "${err.message}". Available: oc.env, oc.select, oc.decode, oc.create, oc.dict.keys, oc.dict.values.`;
      break;
    default:
      code = 'mlcube/interpolation-syntax';
      message = `${q(expr)} ${via ? `cannot be resolved${via}, which is` : 'is'} not a valid interpolation: mlcube fails with "${err.message}".`;
  }
  c.report(code, span, message, data);
}

const pathsCache = new WeakMap<Record<string, unknown>, string[]>();

/** Dotted key paths of the config (three levels deep, a few hundred at most): the did-you-mean candidates. */
function keyPaths(config: Record<string, unknown>): string[] {
  let out = pathsCache.get(config);
  if (out) return out;
  const paths: string[] = [];
  const walk = (v: unknown, prefix: string, depth: number) => {
    if (!v || typeof v !== 'object' || Array.isArray(v) || depth > 3) return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (paths.length >= 500) return;
      const p = prefix ? `${prefix}.${k}` : k;
      paths.push(p);
      // Tasks hold paths nobody interpolates; the runner and runtime keys are what people reach for.
      if (p !== 'tasks') walk(x, p, depth + 1);
    }
  };
  walk(config, '', 1);
  out = paths;
  pathsCache.set(config, out);
  return out;
}

const WORKSPACE_TOKEN = /\$WORKSPACE(?![A-Za-z0-9_])/g;

function checkWorkspaceToken(c: CheckContext, s: StringValue, text: string): void {
  const set = c.ctx.env.WORKSPACE !== undefined;
  for (const m of s.value.matchAll(WORKSPACE_TOKEN)) {
    const at = m.index ?? 0;
    c.report('mlcube/legacy-workspace-token', spanInString(s.node, text, at, at + m[0].length),
      `${q('$WORKSPACE')} is a v1 token; v2 mlcube passes paths through \`expandvars\`, so ${set ? 'it becomes the value of the WORKSPACE environment variable (set here, but maybe not where mlcube runs)' : 'unless a WORKSPACE environment variable is set the path keeps a literal "$WORKSPACE" folder inside the workspace'}. Write the path relative to the workspace (drop ${q('$WORKSPACE/')}) or use ${q('${runtime.workspace}')}.`,
      { token: '$WORKSPACE' });
  }
}

/** The config root mlcube resolves against: the manifest as plain JS, plus runtime, workspace and runner. */
export function rootDir(docPath: string): string {
  return docPath ? dirname(docPath) : '.';
}
