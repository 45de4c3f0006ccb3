/**
 * Registry commands: Publish (from the Cubes tree, the editor or the palette), Pull as Cube, Move Alias, Delete
 * Version, Delete Alias, Sign In / Sign Out (VS Code's secret storage), Filter, Show Model Card, Load More,
 * Refresh. Publishing and pulling run the Docker engine and write files: never in a restricted workspace.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CubesRequest, TaskPlanRequest, type TaskPlan } from '../../../../shared/lsp-protocol';
import { sendRequest } from '../../language/request';
import { gitState } from '../../runs/gitInfo';
import { loadRunnerModule } from '../../runs/editor/runnerLoader';
import type { Reporter } from '../../runs/backend';
import { checkVersionTag, isRepositoryName, isTag, repositoryFor, type RegistryEndpoint } from '../names';
import { throttled, type RegistryService } from './service';
import type { RegistriesTree, RegistryNode } from './view';

type Node<K extends RegistryNode['kind']> = Extract<RegistryNode, { kind: K }>;

function trusted(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`CubeLab ${what} nothing in a restricted workspace: it runs the Docker engine and writes files. Trust the workspace first.`, 'Manage Workspace Trust')
    .then((c) => { if (c) void vscode.commands.executeCommand('workbench.trust.manage'); });
  return false;
}

const message = (e: unknown): string => (e as Error)?.message ?? String(e);

/** The errors the language server reports for a manifest (opened first; waits for its diagnostics). */
async function manifestErrors(uri: vscode.Uri): Promise<string[]> {
  const wasOpen = vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());
  if (!wasOpen) {
    const published = new Promise<void>((resolve) => {
      const timer = setTimeout(() => { sub.dispose(); resolve(); }, 5000);
      const sub = vscode.languages.onDidChangeDiagnostics((e) => {
        if (e.uris.some((u) => u.toString() === uri.toString())) { clearTimeout(timer); sub.dispose(); resolve(); }
      });
    });
    await vscode.workspace.openTextDocument(uri);
    await published;
  }
  return vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error)
    .map((d) => `${d.message} (line ${d.range.start.line + 1})`);
}

export class RegistryCommands {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly service: RegistryService,
    private readonly tree: RegistriesTree,
    private readonly view: vscode.TreeView<RegistryNode>,
    private readonly client: () => Promise<LanguageClient | undefined>,
  ) {}

  private async pickRegistry(title: string): Promise<RegistryEndpoint | undefined> {
    const regs = this.service.registries().filter((r) => r.endpoint).map((r) => r.endpoint!);
    if (!regs.length) {
      const c = await vscode.window.showWarningMessage('CubeLab: no registry is configured (setting cubelab.registries).', 'Add Registry');
      if (c) await vscode.commands.executeCommand('workbench.action.openSettings', 'cubelab.registries');
      return undefined;
    }
    if (regs.length === 1) return regs[0];
    const pick = await vscode.window.showQuickPick(regs.map((r) => ({ label: r.name, description: r.base, reg: r })), { title, placeHolder: 'Registry' });
    return pick?.reg;
  }

  private localBackend(): { configure(image: string, build: import('../../runs/backend').ImageBuild | undefined, r: Reporter, c?: import('../../runs/backend').CancelToken): Promise<void>; engine: import('dockerode') } {
    const mod = loadRunnerModule(this.context.extensionPath);
    const host = vscode.workspace.getConfiguration('cubelab').get<string>('docker.host', '') || undefined;
    return new mod.DockerBackend({ name: 'local', ...(host ? { host } : {}) });
  }

  // ------------------------------------------------------------------ publish

  async publish(arg?: unknown): Promise<void> {
    if (!trusted('publishes')) return;
    const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' ? vscode.Uri.parse(arg) : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') { void vscode.window.showWarningMessage('CubeLab: open an MLCube manifest (mlcube.yaml) on disk to publish its cube.'); return; }
    const reg = await this.pickRegistry('Publish cube to');
    if (!reg) return;
    try {
      const errors = await manifestErrors(uri);
      if (errors.length) {
        const c = await vscode.window.showErrorMessage(`CubeLab: not published: ${path.basename(uri.fsPath)} has ${errors.length} error(s). Fix ${errors.length === 1 ? 'it' : 'them'} first: ${errors.slice(0, 2).join('; ')}`, 'Show Problems');
        if (c) await vscode.commands.executeCommand('workbench.actions.view.problems');
        return;
      }
      const plans = await this.plans(uri);
      const first = plans[0]!;
      const stateKey = `cubelab.registry.publish:${uri.fsPath}:${reg.name}`;
      const last = this.context.workspaceState.get<{ repository: string; version: string; aliases: string }>(stateKey);
      const mod = this.service.mod();
      const doc = await vscode.workspace.openTextDocument(uri);
      const contents = await mod.cubeContents(uri.fsPath, doc.getText(), plans);
      const repository = await vscode.window.showInputBox({
        title: `Publish ${contents.name} to ${reg.name}: repository`, value: last?.repository ?? repositoryFor(contents.name, reg.namespace),
        prompt: `The repository in ${reg.host} (lowercase, "/" between path parts)`, validateInput: (v) => (isRepositoryName(v.trim()) ? undefined : 'Lowercase letters and digits, separated by ".", "_", "-" or "/".'),
      });
      if (!repository) return;
      const version = await vscode.window.showInputBox({
        title: `Publish ${contents.name} to ${reg.name}/${repository.trim()}: version`, value: last ? bump(last.version) : '1.0.0',
        prompt: 'The version is a tag; versions are never overwritten.',
        validateInput: (v) => { try { checkVersionTag(v.trim()); return undefined; } catch (e) { return message(e); } },
      });
      if (!version) return;
      const aliasText = await vscode.window.showInputBox({
        title: `Publish ${contents.name} ${version.trim()}: aliases to move to it`, value: last?.aliases ?? 'latest',
        prompt: 'Comma-separated aliases (extra tags such as latest, champion) moved to this version; empty for none.',
        validateInput: (v) => { for (const a of v.split(',').map((s) => s.trim()).filter(Boolean)) { try { checkVersionTag(a, 'alias'); } catch (e) { return message(e); } } return undefined; },
      });
      if (aliasText === undefined) return;
      const aliases = aliasText.split(',').map((s) => s.trim()).filter(Boolean);
      await this.context.workspaceState.update(stateKey, { repository: repository.trim(), version: version.trim(), aliases: aliasText });

      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: publishing ${contents.name} ${version.trim()} to ${reg.name}`, cancellable: true }, async (progress, token) => {
        const report = throttled(progress);
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        // The existing configure step: the local engine builds or pulls the image.
        const backend = this.localBackend();
        const b = first.platforms.docker.imageBuild;
        await backend.configure(first.image, { strategy: b.strategy, context: b.context, file: b.file, args: b.buildArgs }, {
          info: (t) => this.service.output.info(`[publish] ${t}`), detail: () => undefined,
          warn: (t) => this.service.output.warn(`[publish] ${t}`), progress: (m, c, t) => report(m, c, t),
        }, { get cancelled() { return token.isCancellationRequested; }, onCancel: (l) => { token.onCancellationRequested(l); } });
        const { client } = this.service.session(reg);
        const git = await gitState(contents.root);
        const source = await gitRemote(contents.root);
        return mod.publishCube({
          client, repository: repository.trim(), version: version.trim(), aliases, contents, problems: [],
          engine: mod.dockerImageEngine(backend.engine), credentials: this.service.credentials(reg), cache: new mod.BlobCache(this.service.cacheRoot()),
          meta: { ...(git ? { revision: git.commit } : {}), ...(source ? { source } : {}), metrics: await mod.mlgymMetrics(contents.workspace) },
          progress: report, signal: abort.signal,
        });
      });
      this.service.output.info(`[publish] ${reg.host}/${result.repository}:${result.version} ${result.digest}, image ${result.image.reference}, linked by ${result.referrers === 'api' ? 'the referrers API' : 'the fallback tag'}${result.skipped.length ? `; left out: ${result.skipped.join(', ')}` : ''}`);
      this.tree.refresh();
      void vscode.window.showInformationMessage(`CubeLab: published ${result.repository}:${result.version} to ${reg.name} (${result.digest.slice(0, 19)}…)${result.aliases.length ? `; ${result.aliases.join(', ')} moved to it` : ''}.`);
    } catch (e) {
      this.service.output.error(`[publish] ${message(e)}`);
      void vscode.window.showErrorMessage(`CubeLab: ${message(e)}`, 'Show Output').then((c) => { if (c) this.service.output.show(); });
    }
  }

  private async plans(uri: vscode.Uri): Promise<TaskPlan[]> {
    const client = await this.client();
    if (!client) throw new Error('The CubeLab language server is not running.');
    const cubes = await sendRequest(client, CubesRequest);
    const cube = cubes.cubes.find((c) => c.uri === uri.toString());
    const tasks = cube?.tasks.map((t) => t.name) ?? [''];
    const plans: TaskPlan[] = [];
    for (const task of tasks.length ? tasks : ['']) {
      const r = await sendRequest(client, TaskPlanRequest, { uri: uri.toString(), task, overrides: [] });
      if (!r.ok) throw new Error(`Not published: task ${task || '(default)'} cannot be planned: ${r.error}`);
      plans.push(r.plan);
    }
    return plans;
  }

  // ------------------------------------------------------------------ pull

  async pull(node?: Node<'version'> | Node<'alias'>, parentArg?: string): Promise<void> {
    if (!node || !trusted('pulls')) return;
    const tag = node.kind === 'version' ? node.v.tag : node.a.tag;
    let parent = parentArg;
    if (!parent) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Pull Here',
        title: `Pull ${node.repo}:${tag} into a new folder in…`, ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
      });
      parent = picked?.[0]?.fsPath;
    }
    if (!parent) return;
    const base = repositoryFor(node.kind === 'version' ? node.v.name : node.repo.split('/').pop() ?? 'cube');
    const dest = freeFolder(parent, base, tag);
    try {
      const mod = this.service.mod();
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CubeLab: pulling ${node.repo}:${tag}`, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const { client } = this.service.session(node.reg);
        return mod.pullCube({
          client, repository: node.repo, reference: tag, dest, cache: new mod.BlobCache(this.service.cacheRoot()),
          engine: mod.dockerImageEngine(this.localBackend().engine), credentials: this.service.credentials(node.reg), progress: throttled(progress), signal: abort.signal,
        });
      });
      this.service.output.info(`[pull] ${node.reg.host}/${node.repo}:${tag} (${result.digest}) into ${result.dest}: ${result.files.length} file(s) and the image ${result.image?.reference ?? ''} verified by digest`);
      const inWorkspace = !!vscode.workspace.getWorkspaceFolder(vscode.Uri.file(result.dest));
      await vscode.window.showTextDocument(vscode.Uri.file(result.manifest), { preview: false });
      const actions = inWorkspace ? [] : ['Add Folder to Workspace'];
      void vscode.window.showInformationMessage(`CubeLab: pulled ${node.repo}:${tag} into ${result.dest}; every file and the image verified by digest.`, ...actions).then((c) => {
        if (c) vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders?.length ?? 0, 0, { uri: vscode.Uri.file(result.dest) });
      });
    } catch (e) {
      this.service.output.error(`[pull] ${message(e)}`);
      void vscode.window.showErrorMessage(`CubeLab: ${message(e)}`);
    }
  }

  // ------------------------------------------------------------------ aliases and versions

  async moveAlias(node?: Node<'version'> | Node<'alias'>): Promise<void> {
    if (!node) return;
    const { browser, client } = this.service.session(node.reg);
    try {
      const cubes = await browser.repository(node.repo);
      let alias: string | undefined;
      let version: string | undefined;
      if (node.kind === 'version') {
        version = node.v.tag;
        const items = [...cubes.aliases.map((a) => ({ label: a.tag, description: `→ ${a.targetVersion ?? 'deleted version'}` })), { label: '$(add) New alias…', description: '' }];
        const pick = await vscode.window.showQuickPick(items, { title: `Move an alias to ${node.repo}:${version}` });
        if (!pick) return;
        alias = pick.label.startsWith('$(add)') ? (await vscode.window.showInputBox({ title: 'New alias', value: 'champion', validateInput: (v) => { try { checkVersionTag(v.trim(), 'alias'); return undefined; } catch (e) { return message(e); } } }))?.trim() : pick.label;
      } else {
        alias = node.a.tag;
        const pick = await vscode.window.showQuickPick(cubes.versions.map((v) => ({ label: v.tag, description: v.created.slice(0, 10) })), { title: `Move ${node.repo}:${alias} to version` });
        version = pick?.label;
      }
      if (!alias || !version) return;
      const r = await this.service.mod().moveAlias(client, node.repo, alias, version);
      this.tree.refreshRepository(node.reg, node.repo);
      void vscode.window.showInformationMessage(r.moved ? `CubeLab: ${node.repo}:${alias} now points to ${version} (move ${r.history.length} in its history).` : `CubeLab: ${node.repo}:${alias} already points to ${version}.`);
    } catch (e) { void vscode.window.showErrorMessage(`CubeLab: ${message(e)}`); }
  }

  async deleteVersion(node?: Node<'version'>): Promise<void> {
    if (!node) return;
    const { browser, client } = this.service.session(node.reg);
    try {
      const cubes = await browser.repository(node.repo);
      const pointing = cubes.aliases.filter((a) => a.target === node.v.digest).map((a) => a.tag);
      const go = await vscode.window.showWarningMessage(
        `Delete ${node.repo}:${node.v.tag} from ${node.reg.name}?${pointing.length ? ` The alias(es) ${pointing.join(', ')} point to it and are deleted with it.` : ''} The image stays.`,
        { modal: true }, 'Delete');
      if (go !== 'Delete') return;
      await this.service.mod().deleteVersion(client, node.repo, node.v.tag, { withAliases: pointing.length > 0 });
      this.tree.refreshRepository(node.reg, node.repo);
    } catch (e) { void vscode.window.showErrorMessage(`CubeLab: ${message(e)}`); }
  }

  async deleteAlias(node?: Node<'alias'>): Promise<void> {
    if (!node) return;
    const go = await vscode.window.showWarningMessage(`Delete the alias ${node.repo}:${node.a.tag}? The version it points to stays.`, { modal: true }, 'Delete');
    if (go !== 'Delete') return;
    try {
      await this.service.mod().deleteAlias(this.service.session(node.reg).client, node.repo, node.a.tag);
      this.tree.refreshRepository(node.reg, node.repo);
    } catch (e) { void vscode.window.showErrorMessage(`CubeLab: ${message(e)}`); }
  }

  // ------------------------------------------------------------------ credentials

  async signIn(node?: Node<'registry'>): Promise<void> {
    const reg = node?.reg ?? await this.pickRegistry('Sign in to');
    if (!reg) return;
    const username = await vscode.window.showInputBox({ title: `Sign in to ${reg.name} (${reg.host})`, prompt: 'User name', ignoreFocusOut: true });
    if (!username) return;
    const secret = await vscode.window.showInputBox({ title: `Sign in to ${reg.name} (${reg.host})`, prompt: `Password or access token for ${username}`, password: true, ignoreFocusOut: true });
    if (!secret) return;
    const mod = this.service.mod();
    const probe = new mod.RegistryClient({ registry: reg, proxy: this.service.proxy(), credentials: async () => ({ username, password: secret, source: 'the sign-in just typed' }) });
    try {
      await probe.ping();
      await mod.storeSecret(this.context.secrets, reg.host, username, secret);
      this.service.reset();
      this.tree.refresh();
      void vscode.window.showInformationMessage(`CubeLab: signed in to ${reg.name} as ${username}; the credentials are kept in VS Code's secret storage.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`CubeLab: ${message(e)}`);
    } finally { probe.dispose(); }
  }

  async signOut(node?: Node<'registry'>): Promise<void> {
    const reg = node?.reg ?? await this.pickRegistry('Sign out of');
    if (!reg) return;
    await this.service.mod().eraseSecret(this.context.secrets, reg.host);
    this.service.reset();
    this.tree.refresh();
    void vscode.window.showInformationMessage(`CubeLab: the credentials for ${reg.name} are removed from VS Code's secret storage (Docker's config is left as it is).`);
  }

  // ------------------------------------------------------------------ view

  async filter(): Promise<void> {
    const text = await vscode.window.showInputBox({ title: 'Filter registries', value: this.tree.filter, prompt: 'Words matched against repository names, versions, tasks and model card text' });
    if (text === undefined) return;
    await vscode.window.withProgress({ location: { viewId: 'cubelab.registries' } }, () => this.tree.setFilter(text));
    this.view.description = this.tree.filter ? `filter: ${this.tree.filter}` : undefined;
  }

  async clearFilter(): Promise<void> {
    await this.tree.setFilter('');
    this.view.description = undefined;
  }

  async showCard(node?: Node<'card'>): Promise<void> {
    if (!node) return;
    const doc = await vscode.workspace.openTextDocument(this.tree.cardUri(node));
    // Plain text: a card comes from a registry and is never rendered as Markdown.
    await vscode.languages.setTextDocumentLanguage(doc, 'plaintext');
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

/** The next version to suggest: the last number of the last one, plus one. */
function bump(v: string): string {
  const m = /^(.*?)(\d+)([^\d]*)$/.exec(v);
  if (!m) return v;
  const next = `${m[1]}${Number(m[2]) + 1}${m[3]}`;
  return isTag(next) ? next : v;
}

/** `<parent>/<base>`, or `<base>-<tag>`, `<base>-<tag>-2`… when taken (an empty folder counts as free). */
function freeFolder(parent: string, base: string, tag: string): string {
  const free = (p: string): boolean => { if (!existsSync(p)) return true; try { return readdirSync(p).length === 0; } catch { return false; } };
  const candidates = [base, `${base}-${tag}`];
  for (const c of candidates) if (free(path.join(parent, c))) return path.join(parent, c);
  for (let i = 2; ; i++) { const p = path.join(parent, `${base}-${tag}-${i}`); if (free(p)) return p; }
}

async function gitRemote(cwd: string): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('git', ['remote', 'get-url', 'origin'], { cwd, timeout: 5000 }, (err, out) => {
      const url = err ? '' : out.trim();
      // Only public-looking URLs: never one with credentials in it.
      resolve(/^(https?:\/\/|git@)[^\s@]*$/.test(url) || /^git@[^\s:]+:[^\s]+$/.test(url) ? url : undefined);
    });
  });
}
