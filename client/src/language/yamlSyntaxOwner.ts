/**
 * Red Hat's YAML extension side by side with CubeLab: its yaml-language-server reports the syntax errors and
 * duplicate keys of every YAML file, so while it is installed (and its validation on) CubeLab's server leaves
 * those to it and keeps its own checks (server/src/service/yamlSyntaxOwner.ts). Followed live: installing,
 * enabling, disabling it or changing `yaml.validate` takes effect without a reload.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { YamlSyntaxOwnerNotification } from '../../../shared/lsp-protocol';

export const RED_HAT_YAML = 'redhat.vscode-yaml';

/** The id of the extension that reports YAML syntax errors in this window, or null when CubeLab should. */
export function yamlSyntaxOwner(): string | null {
  if (!vscode.extensions.getExtension(RED_HAT_YAML)) return null;
  // With its validation off (`yaml.validate: false`) it reports nothing: CubeLab keeps reporting.
  return vscode.workspace.getConfiguration('yaml').get<boolean>('validate', true) === false ? null : RED_HAT_YAML;
}

/** Tells the running server whenever the answer changes (a restarted server asks again through its initializationOptions). */
export function followYamlSyntaxOwner(getClient: () => LanguageClient | undefined): vscode.Disposable {
  let last = yamlSyntaxOwner();
  const update = () => {
    const now = yamlSyntaxOwner();
    if (now === last) return;
    last = now;
    const client = getClient();
    if (client?.isRunning()) void client.sendNotification(YamlSyntaxOwnerNotification, { extension: now });
  };
  return vscode.Disposable.from(
    vscode.extensions.onDidChange(update),
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('yaml.validate')) update(); }),
  );
}
