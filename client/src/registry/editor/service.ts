/**
 * The editor's side of registries: the `cubelab.registries` setting (only the user's own value in a restricted
 * workspace), VS Code's proxy settings, one client and one browser per registry (made again when a setting
 * changes), credentials from VS Code's secret storage and Docker's config, the blob cache in the extension's
 * global storage, and the registry code itself, loaded from dist/registry.js on first use.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as RegistryBundle from '../index';
import { parseRegistrySetting, type RegistryEndpoint } from '../names';
import { RegistryError } from '../errors';
import type { RegistryClient } from '../client';
import type { RegistryBrowser } from '../browse';
import type { ProxySettings } from '../http';
import type { CredentialOptions } from '../credentials';

export type RegistryModule = typeof RegistryBundle;

export interface ConfiguredRegistry { endpoint?: RegistryEndpoint; error?: string; index: number; label: string }

export class RegistryService implements vscode.Disposable {
  private module: RegistryModule | undefined;
  private readonly clients = new Map<string, { key: string; client: RegistryClient; browser: RegistryBrowser }>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changedEmitter = new vscode.EventEmitter<void>();
  /** Fires when the settings that make clients change. */
  readonly onDidChange = this.changedEmitter.event;

  constructor(readonly context: vscode.ExtensionContext, readonly output: vscode.LogOutputChannel) {
    this.disposables.push(this.changedEmitter, vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cubelab.registries') || e.affectsConfiguration('cubelab.registry') || e.affectsConfiguration('http')) {
        this.reset();
        this.changedEmitter.fire();
      }
    }), vscode.workspace.onDidGrantWorkspaceTrust(() => { this.reset(); this.changedEmitter.fire(); }));
  }

  /** dist/registry.js, loaded once, when first needed. */
  mod(): RegistryModule {
    // createRequire keeps esbuild from inlining the registry bundle into dist/client.js.
    this.module ??= createRequire(__filename)(path.join(this.context.extensionPath, 'dist', 'registry.js')) as RegistryModule;
    return this.module;
  }

  /** The registries of the settings; in a restricted workspace only the user's (global) value counts. */
  registries(): ConfiguredRegistry[] {
    const cfg = vscode.workspace.getConfiguration('cubelab');
    const raw = vscode.workspace.isTrusted ? cfg.get<unknown[]>('registries', []) : cfg.inspect<unknown[]>('registries')?.globalValue ?? [];
    const list = Array.isArray(raw) ? raw : [];
    return list.map((s, index) => {
      try {
        const endpoint = parseRegistrySetting(s, index);
        return { endpoint, index, label: endpoint.name };
      } catch (e) {
        const url = s && typeof s === 'object' && typeof (s as { url?: unknown }).url === 'string' ? (s as { url: string }).url : `#${index + 1}`;
        return { error: (e as Error).message, index, label: url };
      }
    });
  }

  endpoint(name: string): RegistryEndpoint {
    const r = this.registries().find((x) => x.endpoint?.name === name);
    if (!r?.endpoint) throw new RegistryError(`No registry named "${name}" in cubelab.registries.`, 'config');
    return r.endpoint;
  }

  proxy(): ProxySettings {
    const http = vscode.workspace.getConfiguration('http');
    const url = http.get<string>('proxy', '');
    const noProxy = http.get<string[]>('noProxy', []);
    const authorization = http.get<string | null>('proxyAuthorization', null);
    return { ...(url ? { url } : {}), noProxy: Array.isArray(noProxy) ? noProxy : [], strictSSL: http.get<boolean>('proxyStrictSSL', true), ...(authorization ? { authorization } : {}) };
  }

  credentialOptions(endpoint: RegistryEndpoint): CredentialOptions {
    return { secrets: this.context.secrets, mode: endpoint.credentials };
  }

  /** The client and browser of a registry (made once per settings). */
  session(endpoint: RegistryEndpoint): { client: RegistryClient; browser: RegistryBrowser } {
    const proxy = this.proxy();
    const pageSize = Math.min(1000, Math.max(10, vscode.workspace.getConfiguration('cubelab').get<number>('registry.pageSize', 100)));
    const key = JSON.stringify([endpoint, proxy, pageSize]);
    const hit = this.clients.get(endpoint.name);
    if (hit?.key === key) return hit;
    hit?.client.dispose();
    const mod = this.mod();
    const client = new mod.RegistryClient({
      registry: endpoint, proxy, userAgent: `CubeLab/${this.context.extension.packageJSON.version as string}`,
      credentials: mod.credentialProvider(endpoint.host, this.credentialOptions(endpoint)),
    });
    const browser = new mod.RegistryBrowser(client, pageSize);
    const s = { key, client, browser };
    this.clients.set(endpoint.name, s);
    return s;
  }

  /** Credentials for the engine (image push and pull). */
  credentials(endpoint: RegistryEndpoint): () => Promise<import('../credentials').Credential | undefined> {
    return () => this.mod().findCredentials(endpoint.host, this.credentialOptions(endpoint));
  }

  cacheRoot(): string { return path.join(this.context.globalStorageUri.fsPath, 'registry-cache'); }

  reset(): void {
    for (const s of this.clients.values()) s.client.dispose();
    this.clients.clear();
  }

  dispose(): void {
    this.reset();
    for (const d of this.disposables) d.dispose();
  }
}

/** Progress reports at most ten times a second (a download reports every chunk). */
export function throttled(progress: vscode.Progress<{ message?: string; increment?: number }>): (message: string, current?: number, total?: number) => void {
  let last = 0;
  let lastPct = 0;
  let lastMessage = '';
  return (message, current, total) => {
    const now = Date.now();
    const pct = total ? Math.min(100, Math.round((100 * (current ?? 0)) / total)) : lastPct;
    if (message === lastMessage && now - last < 100 && pct !== 100) return;
    last = now;
    lastMessage = message;
    progress.report({ message: total ? `${message} (${pct}%)` : message, increment: Math.max(0, pct - lastPct) });
    lastPct = pct;
  };
}
