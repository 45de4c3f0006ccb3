/**
 * The Runs tree's items, built by the real provider in a real extension host (issue 14): record text comes from
 * files a cloned repository can ship, so tooltips are plain strings (no Markdown: no links, images or command
 * URIs), for runs and for sweep elements.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { RunsTreeProvider, type RunsNode } from '../../../client/src/runs/editor/runsTree';
import type { RunRecord, SweepElement } from '../../../client/src/runs/record';

const HOSTILE = 'failed: [click me](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D) ![x](https://example.invalid/x.png) **bold**';

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 2, runId: '20260101-000000-train-abcdef', manifest: '/w/mlcube.yaml', task: 'train', target: { kind: 'docker', name: 'local', engine: '' },
    plan: { taskName: 'train', image: 'x', root: '/w', workspace: '/w/workspace', entrypoint: [], args: [], paramArgs: [], mounts: [], env: {}, gpus: null, mkdirs: [], workspaceSync: [], warnings: [], platforms: { docker: { tool: 'docker', runArgs: '', command: '', imageBuild: { strategy: 'pull', context: '/w', file: '/w/Dockerfile', fileExists: false, buildArgs: {}, action: 'pull' } }, singularity: null } },
    overrides: ['lr=[link](command:evil)'], image: { name: 'x' }, status: 'failed', reason: HOSTILE, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:05.000Z',
    exitCode: 1, git: null, warnings: [], ...over,
  };
}

suite('Runs tree', () => {
  test('tooltips of runs and sweep elements are plain text, never Markdown', async () => {
    const run: RunsNode = { kind: 'run', record: record(), storeRoot: '/w/.cubelab/runs' };
    const element: SweepElement = { index: 0, overrides: ['lr=[x](command:evil)'], plan: record().plan, status: 'failed', exitCode: 1, reason: HOSTILE };
    const el: RunsNode = { kind: 'element', record: record({ sweep: { count: 1, parallelism: 1, counts: { failed: 1 } } }), storeRoot: '/w/.cubelab/runs', element };
    const tree = new RunsTreeProvider(async () => [run]);
    for (const node of [run, el]) {
      const item = tree.getTreeItem(node) as vscode.TreeItem;
      assert.strictEqual(typeof item.tooltip, 'string', `${node.kind}: the tooltip is a plain string`);
      assert.ok(!(item.tooltip instanceof vscode.MarkdownString));
      assert.ok(String(item.tooltip).includes(HOSTILE), 'the text is shown as it is');
    }
    tree.dispose();
  });
});
