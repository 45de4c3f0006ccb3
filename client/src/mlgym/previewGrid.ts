/**
 * "CubeLab: Preview Grid Search": a read-only virtual Markdown document listing the experiments of an MLgym
 * grid search (ids and the swept values), one page at a time, with Previous / Next page lenses.
 * The expansion itself is the server's (cubelab/gridExpansion); this file only asks and renders.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GridExpansionRequest, type GridExpansionParams } from '../../../shared/lsp-protocol';
import { PAGE_SIZE, gridMarkdown, pageCount } from './gridMarkdown';
import { sendRequest } from '../language/request';
import { posix } from 'node:path';

export const PREVIEW_SCHEME = 'cubelab-grid';

interface PageRef { uri: string; page: number }

/** The decoded file name of a document URI (VS Code's own URI class: shared/fileUri.ts would add vscode-uri to the activation bundle). */
function uriBaseName(uri: string): string {
  return posix.basename(vscode.Uri.parse(uri).path);
}

function previewUri(ref: PageRef): vscode.Uri {
  return vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${uriBaseName(ref.uri) || 'grid'} (grid).md`, query: JSON.stringify(ref) });
}

function refOf(uri: vscode.Uri): PageRef | undefined {
  try {
    const r = JSON.parse(uri.query) as Partial<PageRef>;
    return typeof r.uri === 'string' && typeof r.page === 'number' ? { uri: r.uri, page: r.page } : undefined;
  } catch { return undefined; }
}

export function registerPreviewGrid(context: vscode.ExtensionContext, getClient: () => LanguageClient | undefined): void {
  const counts = new Map<string, number>();
  const changed = new vscode.EventEmitter<vscode.Uri>();
  // The page lenses depend on the grid size, known once a page has been fetched.
  const lensesChanged = new vscode.EventEmitter<void>();

  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    async provideTextDocumentContent(uri) {
      const ref = refOf(uri);
      const client = getClient();
      if (!ref) return '# Grid search\n\nThis preview link is broken.\n';
      if (!client || !client.isRunning()) return '# Grid search\n\nThe CubeLab language server is not running.\n';
      const params: GridExpansionParams = { uri: ref.uri, offset: ref.page * PAGE_SIZE, limit: PAGE_SIZE };
      const result = await sendRequest(client, GridExpansionRequest, params);
      counts.set(ref.uri, result.count);
      lensesChanged.fire();
      return gridMarkdown(uriBaseName(ref.uri) || ref.uri, result, ref.page);
    },
  };

  const show = async (ref: PageRef) => {
    const doc = await vscode.workspace.openTextDocument(previewUri(ref));
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: false });
  };

  const lenses: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: lensesChanged.event,
    provideCodeLenses(doc) {
      const ref = refOf(doc.uri);
      if (!ref) return [];
      const pages = pageCount(counts.get(ref.uri) ?? 0);
      const top = new vscode.Range(0, 0, 0, 0);
      const out: vscode.CodeLens[] = [];
      if (ref.page > 0) out.push(new vscode.CodeLens(top, { title: '◀ Previous page', command: 'cubelab.previewGrid', arguments: [ref.uri, ref.page - 1] }));
      if (ref.page + 1 < pages) out.push(new vscode.CodeLens(top, { title: 'Next page ▶', command: 'cubelab.previewGrid', arguments: [ref.uri, ref.page + 1] }));
      if (pages > 2) out.push(new vscode.CodeLens(top, { title: 'Go to page…', command: 'cubelab.previewGrid', arguments: [ref.uri, -1] }));
      return out;
    },
  };

  context.subscriptions.push(
    changed,
    lensesChanged,
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, provider),
    vscode.languages.registerCodeLensProvider({ scheme: PREVIEW_SCHEME }, lenses),
    vscode.commands.registerCommand('cubelab.previewGrid', async (uriArg?: string | vscode.Uri, pageArg?: number) => {
      const uri = typeof uriArg === 'string' ? uriArg : uriArg?.toString() ?? vscode.window.activeTextEditor?.document.uri.toString();
      if (!uri) { void vscode.window.showInformationMessage('CubeLab: open an MLgym grid-search config to preview its experiments.'); return; }
      let page = typeof pageArg === 'number' ? pageArg : 0;
      if (page < 0) {
        const pages = pageCount(counts.get(uri) ?? 0);
        const answer = await vscode.window.showInputBox({ prompt: `Page (1–${pages})`, validateInput: (v) => (/^\d+$/.test(v) && +v >= 1 && +v <= pages ? undefined : `A number from 1 to ${pages}`) });
        if (!answer) return;
        page = +answer - 1;
      }
      await show({ uri, page });
    }),
  );
}
