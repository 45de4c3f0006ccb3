import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isMetricsFromWebview, isMetricsToWebview } from '../../../shared/webview-protocol/metrics';
import { isExperimentsFromWebview, isExperimentsToWebview } from '../../../shared/webview-protocol/experiments';
import { contentSecurityPolicy, webviewHtml } from '../../../client/src/webviews/html';

test('metrics: messages from the webview are validated field by field', () => {
  assert.ok(isMetricsFromWebview({ type: 'ready' }));
  assert.ok(isMetricsFromWebview({ type: 'selectExperiments', experiments: ['1', '2'] }));
  assert.ok(isMetricsFromWebview({ type: 'exportCsv' }));
  assert.ok(isMetricsFromWebview({ type: 'exportCsv', key: 'val_F1' }));
  assert.ok(isMetricsFromWebview({ type: 'exportPng', key: 'k', dataUrl: 'data:image/png;base64,AAAA' }));
  assert.ok(isMetricsFromWebview({ type: 'stateChanged', state: { source: '/a', smoothing: 0.5, logScale: true, selected: [] } }));
  for (const bad of [
    null, 'ready', [], {}, { type: 'nope' }, { type: 'toString' }, { type: 'selectExperiments', experiments: [1] },
    { type: 'exportCsv', key: 3 }, { type: 'exportPng', key: 'k', dataUrl: 'file:///etc/passwd' },
    { type: 'exportPng', key: 'k', dataUrl: 'data:text/html;base64,AAAA' },
    { type: 'stateChanged', state: { source: '/a', smoothing: 1.5, logScale: true, selected: [] } },
    { type: 'stateChanged', state: { source: '/a', smoothing: 0, logScale: 'yes', selected: [] } },
  ]) assert.equal(isMetricsFromWebview(bad), false, JSON.stringify(bad));
});

test('metrics: messages to the webview are validated, including typed-array chart shapes', () => {
  const F = (xs: number[]) => new Float64Array(xs);
  const chart = { key: 'k', experiments: ['0'], x: F([0, 1]), y: F([1, 2]), totals: [2], resolution: 'raw', range: null, request: 0 };
  const init = { type: 'init', source: 's', title: 't', keys: ['k'], experiments: ['0'], selected: [], charts: [chart] };
  assert.ok(isMetricsToWebview(init));
  assert.ok(isMetricsToWebview({ type: 'chart', experiments: ['0'], keys: ['k'], chart: { ...chart, resolution: 'minmax', range: [0, 1], request: 3 } }));
  assert.ok(isMetricsToWebview({ type: 'append', experiments: ['0'], keys: ['k'], points: [{ experiment: '0', key: 'k', x: F([2]), y: F([3]), replace: true }] }));
  assert.ok(isMetricsToWebview({ type: 'select', experiments: [] }));
  assert.ok(isMetricsToWebview({ type: 'status', text: 'x', badLines: 0 }));
  assert.equal(isMetricsToWebview({ ...init, charts: [{ ...chart, y: F([1]) }] }), false, 'y is not experiments × x');
  assert.equal(isMetricsToWebview({ ...init, charts: [{ ...chart, x: [0, 1], y: [1, 2] }] }), false, 'JSON arrays, not typed arrays');
  assert.equal(isMetricsToWebview({ ...init, charts: [{ ...chart, experiments: [0] }] }), false, 'numeric id');
  assert.equal(isMetricsToWebview({ type: 'append', experiments: ['0'], keys: ['k'], points: [{ experiment: '0', key: 'k', x: F([2]), y: F([3]), replace: 1 }] }), false);
  assert.equal(isMetricsToWebview({ type: 'append', experiments: ['0'], keys: ['k'], points: [{ experiment: '0', key: 'k', x: F([2, 3]), y: F([3]) }] }), false, 'lengths differ');
  assert.equal(isMetricsToWebview({ type: 'init' }), false);
  assert.ok(isMetricsFromWebview({ type: 'ready', width: 540 }));
  assert.ok(isMetricsFromWebview({ type: 'ready' }));
  assert.ok(isMetricsFromWebview({ type: 'requestRange', key: 'k', min: 10, max: 20, width: 540, request: 1 }));
  assert.ok(isMetricsFromWebview({ type: 'requestRange', key: 'k', min: null, max: null, width: 540, request: 2 }));
  assert.equal(isMetricsFromWebview({ type: 'requestRange', key: 'k', min: 10, max: 20, width: 0, request: 1 }), false, 'no width');
  assert.equal(isMetricsFromWebview({ type: 'requestRange', key: 'k', min: '10', max: 20, width: 540, request: 1 }), false);
});

test('experiments: rows, statuses and messages both ways', () => {
  const row = { id: '1', status: 'running', progress: 0.5, epoch: 2, params: { lr: 0.1, name: 'a', on: true, none: null }, scores: { val_F1: 0.7 } };
  assert.ok(isExperimentsToWebview({ type: 'init', source: 's', title: 't', varyingParams: ['lr'], scoreKeys: ['val_F1'], rows: [row], selected: ['1'] }));
  assert.ok(isExperimentsToWebview({ type: 'update', varyingParams: [], scoreKeys: [], rows: [{ ...row, progress: null }] }));
  assert.equal(isExperimentsToWebview({ type: 'update', varyingParams: [], scoreKeys: [], rows: [{ ...row, status: 'exploded' }] }), false);
  assert.equal(isExperimentsToWebview({ type: 'update', varyingParams: [], scoreKeys: [], rows: [{ ...row, params: { lr: [1] } }] }), false);
  assert.equal(isExperimentsToWebview({ type: 'update', varyingParams: [], scoreKeys: [], rows: [{ ...row, scores: { a: '1' } }] }), false);
  assert.ok(isExperimentsFromWebview({ type: 'ready' }));
  assert.ok(isExperimentsFromWebview({ type: 'selectExperiments', ids: ['1'] }));
  assert.ok(isExperimentsFromWebview({ type: 'openExperiment', id: '1' }));
  assert.ok(isExperimentsFromWebview({ type: 'stateChanged', state: { source: 's', filter: '', sort: { column: 'id', descending: true }, selected: [] } }));
  assert.equal(isExperimentsFromWebview({ type: 'stateChanged', state: { source: 's', filter: '', sort: { column: 1 }, selected: [] } }), false);
  assert.equal(isExperimentsFromWebview({ type: 'openExperiment' }), false);
  assert.equal(isExperimentsFromWebview({ type: '__proto__' }), false);
});

test('the page has a strict CSP with a nonce on its script and styles, and nothing inline', () => {
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'N0NCE');
  assert.equal(csp, "default-src 'none'; script-src 'nonce-N0NCE'; style-src https://x.vscode-cdn.net 'nonce-N0NCE'; img-src https://x.vscode-cdn.net data:; font-src https://x.vscode-cdn.net");
  assert.doesNotMatch(csp, /unsafe/);
  const html = webviewHtml({ cspSource: 'https://x', title: 'A <b>', scriptUri: 'https://x/m.js', styleUris: ['https://x/m.css'] });
  const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(html)?.[1];
  assert.ok(nonce && nonce.length >= 16);
  assert.ok(html.includes(`<script nonce="${nonce}" src="https://x/m.js"></script>`));
  assert.ok(html.includes(`<link rel="stylesheet" href="https://x/m.css" nonce="${nonce}">`));
  assert.ok(html.includes('<title>A &lt;b></title>'));
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.notEqual(nonce, /nonce-([A-Za-z0-9]+)/.exec(webviewHtml({ cspSource: 'x', title: '', scriptUri: '', styleUris: [] }))?.[1], 'a new nonce per page');
});
