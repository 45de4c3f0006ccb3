/**
 * The Registries view: configured registries, their repositories a page at a time (the catalog, or the listed
 * repositories when it serves none), each repository's versions and aliases, each cube's model card and tasks,
 * and a filter on names, tasks and card text. Everything shown came from a registry: plain labels, plain
 * tooltips (no Markdown), no command URIs; the card opens as a plain-text document.
 */
import * as vscode from 'vscode';
import type { CubeAlias, CubeDetails, CubeVersion, RepositoryCubes } from '../browse';
import { untrusted } from '../errors';
import type { RegistryEndpoint } from '../names';
import type { ImageManifest } from '../oci';
import type { RegistryService } from './service';

export type RegistryNode =
  | { kind: 'registry'; reg: RegistryEndpoint }
  | { kind: 'bad-setting'; label: string; error: string }
  | { kind: 'message'; id: string; text: string; icon: 'info' | 'error' | 'warning' | 'loading~spin' }
  | { kind: 'repository'; reg: RegistryEndpoint; repo: string }
  | { kind: 'more'; reg: RegistryEndpoint; shown: number }
  | { kind: 'version'; reg: RegistryEndpoint; repo: string; v: CubeVersion }
  | { kind: 'alias'; reg: RegistryEndpoint; repo: string; a: CubeAlias }
  | { kind: 'card'; reg: RegistryEndpoint; repo: string; tag: string; digest: string; manifest: ImageManifest }
  | { kind: 'task'; reg: RegistryEndpoint; repo: string; tag: string; name: string }
  | { kind: 'image'; ref: string };

interface Listing { repositories: string[]; next?: string; note?: string; error?: string; loading?: Promise<void> }

export const CARD_SCHEME = 'cubelab-registry-card';

export class RegistriesTree implements vscode.TreeDataProvider<RegistryNode>, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RegistryNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly listings = new Map<string, Listing>();
  private readonly cards = new Map<string, string>();
  private readonly cardChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.cardChanged.event;
  filter = '';
  /** How long the last first page took to arrive (ms), per registry: the benchmark's figure, seen in the view. */
  readonly firstPageMs = new Map<string, number>();

  constructor(private readonly service: RegistryService) {}

  refresh(): void {
    this.listings.clear();
    for (const r of this.service.registries()) if (r.endpoint) { try { this.service.session(r.endpoint).browser.refresh(); } catch { /* module not loadable: shown on expand */ } }
    this.changed.fire(undefined);
  }

  refreshRepository(reg: RegistryEndpoint, repo: string): void {
    this.service.session(reg).browser.refresh(repo);
    this.changed.fire(undefined);
  }

  private listing(reg: RegistryEndpoint): Listing {
    let l = this.listings.get(reg.name);
    if (!l) { l = { repositories: [] }; this.listings.set(reg.name, l); }
    return l;
  }

  /** Loads the next page of a registry's repositories. */
  async loadMore(reg: RegistryEndpoint): Promise<void> {
    const l = this.listing(reg);
    if (l.loading) return l.loading;
    const first = !l.repositories.length && !l.next;
    const t0 = performance.now();
    l.loading = (async () => {
      try {
        const page = await this.service.session(reg).browser.page(l.next);
        l.repositories.push(...page.repositories);
        if (page.next) l.next = page.next; else delete l.next;
        if (page.note) l.note = page.note;
        delete l.error;
        if (first) this.firstPageMs.set(reg.name, performance.now() - t0);
      } catch (e) {
        l.error = (e as Error).message;
      } finally {
        delete l.loading;
      }
    })();
    await l.loading;
    this.changed.fire(undefined);
  }

  async setFilter(text: string): Promise<void> {
    this.filter = text.trim();
    if (this.filter) {
      // Tasks and card text of the repositories loaded so far (at most 8 requests at a time).
      await Promise.all(this.service.registries().filter((r) => r.endpoint).map(async (r) => {
        const l = this.listings.get(r.endpoint!.name);
        if (l?.repositories.length) await this.service.session(r.endpoint!).browser.loadForFilter(l.repositories);
      }));
    }
    void vscode.commands.executeCommand('setContext', 'cubelab.registries.filtered', !!this.filter);
    this.changed.fire(undefined);
  }

  async getChildren(node?: RegistryNode): Promise<RegistryNode[]> {
    if (!node) {
      return this.service.registries().map((r): RegistryNode => (r.endpoint ? { kind: 'registry', reg: r.endpoint } : { kind: 'bad-setting', label: r.label, error: r.error ?? '' }));
    }
    try {
      switch (node.kind) {
        case 'registry': return await this.registryChildren(node.reg);
        case 'repository': return await this.repositoryChildren(node.reg, node.repo);
        case 'version': return await this.cubeChildren(node.reg, node.repo, node.v.tag, node.v.digest, node.v.manifest);
        case 'alias': return await this.cubeChildren(node.reg, node.repo, node.a.tag, node.a.digest, node.a.manifest);
        default: return [];
      }
    } catch (e) {
      return [{ kind: 'message', id: `${nodeId(node)}#error`, text: (e as Error).message, icon: 'error' }];
    }
  }

  private async registryChildren(reg: RegistryEndpoint): Promise<RegistryNode[]> {
    const l = this.listing(reg);
    if (!l.repositories.length && !l.error && !l.next) await this.loadMore(reg);
    const out: RegistryNode[] = [];
    if (l.note) out.push({ kind: 'message', id: `${reg.name}#note`, text: l.note, icon: 'info' });
    const browser = this.service.session(reg).browser;
    const shown = this.filter ? l.repositories.filter((r) => browser.matches(r, this.filter)) : l.repositories;
    for (const repo of shown) out.push({ kind: 'repository', reg, repo });
    if (this.filter) out.unshift({ kind: 'message', id: `${reg.name}#filter`, text: `${shown.length} of ${l.repositories.length} loaded repositories match "${this.filter}"`, icon: 'info' });
    if (l.error) out.push({ kind: 'message', id: `${reg.name}#error`, text: l.error, icon: 'error' });
    else if (!l.repositories.length && !l.next) out.push({ kind: 'message', id: `${reg.name}#empty`, text: 'No repositories.', icon: 'info' });
    if (l.next) out.push({ kind: 'more', reg, shown: l.repositories.length });
    return out;
  }

  private async repositoryChildren(reg: RegistryEndpoint, repo: string): Promise<RegistryNode[]> {
    const c: RepositoryCubes = await this.service.session(reg).browser.repository(repo);
    const out: RegistryNode[] = [
      ...c.aliases.map((a): RegistryNode => ({ kind: 'alias', reg, repo, a })),
      ...c.versions.map((v): RegistryNode => ({ kind: 'version', reg, repo, v })),
    ];
    if (!out.length) out.push({ kind: 'message', id: `${reg.name}/${repo}#none`, text: c.otherTags.length ? `No cubes (${c.otherTags.length} other tag(s)).` : 'No cubes.', icon: 'info' });
    return out;
  }

  private async cubeChildren(reg: RegistryEndpoint, repo: string, tag: string, digest: string, manifest: ImageManifest): Promise<RegistryNode[]> {
    const d: CubeDetails = await this.service.session(reg).browser.cube(repo, manifest, digest);
    this.cards.set(cardKey(reg.name, repo, tag), d.card);
    return [
      { kind: 'card', reg, repo, tag, digest, manifest },
      ...d.config.tasks.map((name): RegistryNode => ({ kind: 'task', reg, repo, tag, name })),
      { kind: 'image', ref: `${d.config.image.repository}@${d.config.image.digest}` },
    ];
  }

  getTreeItem(node: RegistryNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'registry': {
        const item = new vscode.TreeItem(node.reg.name, C.Collapsed);
        item.id = `registry:${node.reg.name}`;
        item.description = node.reg.base.replace(/\/$/, '');
        item.iconPath = new vscode.ThemeIcon('server');
        item.contextValue = 'cubelab.registry.registry';
        item.tooltip = `${node.reg.base}\nCredentials: ${node.reg.credentials === 'auto' ? 'VS Code secret storage, then Docker\'s config' : node.reg.credentials}${node.reg.caFile ? `\nCA: ${node.reg.caFile}` : ''}`;
        return item;
      }
      case 'bad-setting': {
        const item = new vscode.TreeItem(node.label);
        item.iconPath = new vscode.ThemeIcon('error');
        item.description = node.error;
        item.tooltip = node.error;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(untrusted(node.text, 300));
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = untrusted(node.text, 2000);
        item.contextValue = 'cubelab.registry.message';
        return item;
      }
      case 'repository': {
        const item = new vscode.TreeItem(untrusted(node.repo, 255), C.Collapsed);
        item.id = `repo:${node.reg.name}/${node.repo}`;
        item.iconPath = new vscode.ThemeIcon('repo');
        item.contextValue = 'cubelab.registry.repository';
        const known = this.service.session(node.reg).browser.known(node.repo);
        if (known) item.description = `${known.versions.length} version(s)${known.aliases.length ? `, ${known.aliases.length} alias(es)` : ''}`;
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`Load more… (${node.shown} shown)`);
        item.id = `more:${node.reg.name}:${node.shown}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'cubelab.registries.loadMore', title: 'Load More', arguments: [node] };
        return item;
      }
      case 'version': {
        const v = node.v;
        const item = new vscode.TreeItem(untrusted(v.tag, 128), C.Collapsed);
        item.id = `version:${node.reg.name}/${node.repo}:${v.tag}`;
        item.iconPath = new vscode.ThemeIcon('package');
        item.description = untrusted(`${v.name} · ${v.tasks.join(', ')}${v.created ? ` · ${v.created.slice(0, 10)}` : ''}`, 200);
        item.tooltip = untrusted(`${node.repo}:${v.tag}\n${v.digest}${v.description ? `\n${v.description}` : ''}${v.image ? `\nImage: ${v.image}` : ''}`, 2000);
        item.contextValue = 'cubelab.registry.version';
        return item;
      }
      case 'alias': {
        const a = node.a;
        const item = new vscode.TreeItem(untrusted(a.tag, 128), C.Collapsed);
        item.id = `alias:${node.reg.name}/${node.repo}:${a.tag}`;
        item.iconPath = new vscode.ThemeIcon('tag');
        item.description = untrusted(`→ ${a.targetVersion ?? `${a.target.slice(0, 19)}… (deleted)`}`, 160);
        item.tooltip = untrusted(`${node.repo}:${a.tag} → ${a.targetVersion ?? a.target}\nMoves:\n${a.history.map((h) => `  ${h.at}  ${h.version}`).join('\n')}`, 4000);
        item.contextValue = 'cubelab.registry.alias';
        return item;
      }
      case 'card': {
        const item = new vscode.TreeItem('Model card');
        item.id = `card:${node.reg.name}/${node.repo}:${node.tag}`;
        item.iconPath = new vscode.ThemeIcon('book');
        item.description = 'README.md';
        item.command = { command: 'cubelab.registries.showCard', title: 'Show Model Card', arguments: [node] };
        item.contextValue = 'cubelab.registry.card';
        return item;
      }
      case 'task': {
        const item = new vscode.TreeItem(untrusted(node.name, 200));
        item.id = `task:${node.reg.name}/${node.repo}:${node.tag}#${node.name}`;
        item.iconPath = new vscode.ThemeIcon('symbol-method');
        item.description = 'task';
        return item;
      }
      case 'image': {
        const item = new vscode.TreeItem('Image');
        item.iconPath = new vscode.ThemeIcon('layers');
        item.description = untrusted(node.ref, 300);
        item.tooltip = untrusted(node.ref, 500);
        return item;
      }
    }
  }

  /** The card as plain text (`cubelab-registry-card:/<registry>/<repo>/<tag>/README.md`). */
  provideTextDocumentContent(uri: vscode.Uri): string {
    const [, registry = '', ...rest] = uri.path.split('/');
    rest.pop(); // README.md
    const tag = rest.pop() ?? '';
    return this.cards.get(cardKey(decodeURIComponent(registry), rest.map(decodeURIComponent).join('/'), decodeURIComponent(tag))) ?? '';
  }

  cardUri(node: Extract<RegistryNode, { kind: 'card' }>): vscode.Uri {
    return vscode.Uri.from({ scheme: CARD_SCHEME, path: `/${encodeURIComponent(node.reg.name)}/${node.repo.split('/').map(encodeURIComponent).join('/')}/${encodeURIComponent(node.tag)}/README.md` });
  }

  dispose(): void { this.changed.dispose(); this.cardChanged.dispose(); }
}

const cardKey = (registry: string, repo: string, tag: string): string => `${registry}\0${repo}\0${tag}`;

function nodeId(n: RegistryNode): string {
  switch (n.kind) {
    case 'registry': return n.reg.name;
    case 'repository': return `${n.reg.name}/${n.repo}`;
    case 'version': return `${n.reg.name}/${n.repo}:${n.v.tag}`;
    case 'alias': return `${n.reg.name}/${n.repo}:${n.a.tag}`;
    default: return n.kind;
  }
}
