/**
 * TEST STAND-IN for Red Hat's YAML extension (redhat.vscode-yaml), bundled by test/e2e/helpers/redhatYamlStandin.ts:
 * like the real one, it starts yaml-language-server (the npm package, the same server Red Hat ships) over stdio
 * and sends it every YAML document. Nothing else of the real extension (schemas store, formatter settings UI).
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';

/** Absolute path of yaml-language-server's `bin/yaml-language-server`, filled in when the stand-in is bundled. */
declare const YAML_LANGUAGE_SERVER: string;

let client: LanguageClient | undefined;

export function activate(_context: vscode.ExtensionContext): void {
  client = new LanguageClient(
    'yaml',
    'YAML Support (stand-in)',
    // The extension host runs on Node: the same executable runs the server.
    { command: process.execPath, args: [YAML_LANGUAGE_SERVER], transport: TransportKind.stdio },
    {
      documentSelector: [{ language: 'yaml' }],
      // The sections Red Hat's client synchronises, so `yaml.validate` reaches the server as it does there.
      synchronize: { configurationSection: ['yaml', 'http', '[yaml]', 'editor.tabSize'] },
    },
  );
  void client.start();
}

export function deactivate(): Promise<void> | undefined {
  return client?.stop();
}
