/**
 * Everything the MLgym features answer on one keystroke, returned (for the fuzz test, which writes it out as
 * JSON as the server's connection would): validation as a run_config and as a grid-search config, completion,
 * hover, definition and code actions at a few places, lenses, hints, outline, and the first and a full page of
 * the grid expansion (cubelab/gridExpansion). The same work as test/fixtures/mlgym/keystroke.ts, with answers.
 */
import { defaultSettings } from '../../shared/lsp-protocol';
import { analyze, type ServiceContext } from '../../server/src/service/languageService';
import { mlgymGsProvider, mlgymRunProvider } from '../../server/src/mlgym/provider';
import { expandGridRequest } from '../../server/src/mlgym/gridRequest';

const ctx: ServiceContext = {
  settings: defaultSettings, workspaceFolders: ['/fuzz'], env: {},
  fs: { exists: () => false, isDirectory: () => false, readDir: () => [], readFile: () => undefined },
};

export function mlgymAnswers(text: string): unknown[] {
  const answers: unknown[] = [];
  for (const [path, provider] of [['/fuzz/run_config.yml', mlgymRunProvider], ['/fuzz/gs_config.yml', mlgymGsProvider]] as const) {
    const doc = analyze(`file://${path}`, 1, text, ctx);
    if (doc.kind === 'none') continue;
    const diags = provider.validate(doc, ctx);
    answers.push(diags);
    const lines = doc.parsed.lines.lineCount;
    for (const line of [0, Math.floor(lines / 3), Math.floor(lines / 2), lines - 1]) {
      for (const character of [0, 4, 20]) {
        const pos = { line, character };
        answers.push(
          provider.complete?.(doc, pos, ctx),
          provider.hover?.(doc, pos, ctx),
          provider.definition?.(doc, pos, ctx),
          provider.codeActions?.(doc, { start: pos, end: pos }, diags, ctx),
        );
      }
    }
    answers.push(
      provider.codeLenses?.(doc, ctx),
      provider.inlayHints?.(doc, { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } }, ctx),
      provider.symbols?.(doc, ctx),
    );
    if (doc.kind === 'mlgym-gs') {
      answers.push(expandGridRequest(doc, { uri: doc.uri, offset: 0, limit: 3 }, ctx));
      answers.push(expandGridRequest(doc, { uri: doc.uri, offset: 0, limit: 1000 }, ctx));
    }
  }
  return answers;
}
