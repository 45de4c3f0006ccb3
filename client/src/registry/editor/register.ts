/**
 * Registers the Registries view and the registry commands. Cheap: no I/O, no network; the registry code loads
 * from dist/registry.js when the view is first expanded or a command needs it.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RegistryCommands } from './commands';
import { RegistryService } from './service';
import { CARD_SCHEME, RegistriesTree, type RegistryNode } from './view';

export function registerRegistries(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, client: () => Promise<LanguageClient | undefined>): void {
  const service = new RegistryService(context, output);
  const tree = new RegistriesTree(service);
  const view = vscode.window.createTreeView('cubelab.registries', { treeDataProvider: tree, showCollapseAll: true });
  const c = new RegistryCommands(context, service, tree, view, client);
  const kindOf = (n: unknown): RegistryNode['kind'] | undefined => (n && typeof n === 'object' && 'kind' in n ? (n as RegistryNode).kind : undefined);
  context.subscriptions.push(
    service, tree, view,
    vscode.workspace.registerTextDocumentContentProvider(CARD_SCHEME, tree),
    service.onDidChange(() => tree.refresh()),
    vscode.commands.registerCommand('cubelab.registries.publish', (arg?: unknown) => c.publish(arg)),
    vscode.commands.registerCommand('cubelab.registries.pull', (n?: RegistryNode, parent?: unknown) =>
      (kindOf(n) === 'version' || kindOf(n) === 'alias' ? c.pull(n as Extract<RegistryNode, { kind: 'version' | 'alias' }>, typeof parent === 'string' ? parent : undefined) : undefined)),
    vscode.commands.registerCommand('cubelab.registries.moveAlias', (n?: RegistryNode) => (kindOf(n) === 'version' || kindOf(n) === 'alias' ? c.moveAlias(n as Extract<RegistryNode, { kind: 'version' | 'alias' }>) : undefined)),
    vscode.commands.registerCommand('cubelab.registries.deleteVersion', (n?: RegistryNode) => (kindOf(n) === 'version' ? c.deleteVersion(n as Extract<RegistryNode, { kind: 'version' }>) : undefined)),
    vscode.commands.registerCommand('cubelab.registries.deleteAlias', (n?: RegistryNode) => (kindOf(n) === 'alias' ? c.deleteAlias(n as Extract<RegistryNode, { kind: 'alias' }>) : undefined)),
    vscode.commands.registerCommand('cubelab.registries.signIn', (n?: RegistryNode) => c.signIn(kindOf(n) === 'registry' ? n as Extract<RegistryNode, { kind: 'registry' }> : undefined)),
    vscode.commands.registerCommand('cubelab.registries.signOut', (n?: RegistryNode) => c.signOut(kindOf(n) === 'registry' ? n as Extract<RegistryNode, { kind: 'registry' }> : undefined)),
    vscode.commands.registerCommand('cubelab.registries.filter', () => c.filter()),
    vscode.commands.registerCommand('cubelab.registries.clearFilter', () => c.clearFilter()),
    vscode.commands.registerCommand('cubelab.registries.showCard', (n?: RegistryNode) => (kindOf(n) === 'card' ? c.showCard(n as Extract<RegistryNode, { kind: 'card' }>) : undefined)),
    vscode.commands.registerCommand('cubelab.registries.loadMore', (n?: RegistryNode) => (kindOf(n) === 'more' ? tree.loadMore((n as Extract<RegistryNode, { kind: 'more' }>).reg) : undefined)),
    vscode.commands.registerCommand('cubelab.registries.refresh', () => tree.refresh()),
    vscode.commands.registerCommand('cubelab.registries.add', () => vscode.commands.executeCommand('workbench.action.openSettings', 'cubelab.registries')),
  );
}
