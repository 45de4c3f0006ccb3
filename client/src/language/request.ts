/**
 * Typed custom requests to the CubeLab language server, sent by method name.
 * The extension is split in bundles (dist/client.js, dist/language.js, ...), each with its own copy of
 * vscode-jsonrpc; the language client recognises a RequestType object only from its own copy, so a
 * RequestType from shared/lsp-protocol.ts is reduced to its method here while its types are kept.
 */
import type { RequestType, RequestType0 } from 'vscode-jsonrpc/lib/common/messages';

/** The one method of LanguageClient this needs (so that callers holding a lazily loaded client qualify). */
export interface RequestSender {
  sendRequest<R>(method: string, params?: unknown): Promise<R>;
}

export function sendRequest<R>(client: RequestSender, type: RequestType0<R, void>): Promise<R>;
export function sendRequest<P, R>(client: RequestSender, type: RequestType<P, R, void>, params: P): Promise<R>;
export function sendRequest<P, R>(client: RequestSender, type: RequestType<P, R, void> | RequestType0<R, void>, params?: P): Promise<R> {
  return params === undefined ? client.sendRequest<R>(type.method) : client.sendRequest<R>(type.method, params);
}
