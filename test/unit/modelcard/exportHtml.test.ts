import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { writeEventStorage } from '../../helpers/eventGenerator';
import { buildModelCard } from '../../../client/src/modelcard/card';
import { modelCardHtml, modelCardJson } from '../../../client/src/modelcard/exportHtml';
import { loadModelCard } from '../../../client/src/modelcard/load';
import { isModelCardData } from '../../../shared/webview-protocol/modelCard';
import { rebuildCorpus, tempDir } from './helpers';

/** The text a reader sees: tags dropped, the entities the export writes decoded. */
function visibleText(html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#58;/g, ':').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

function assertSelfContained(html: string): void {
  assert.doesNotMatch(html, /<script/i, 'no script');
  assert.doesNotMatch(html, /https?:\/\//i, 'no http(s) URL anywhere');
  // Text never holds a raw `<`, so every `<…>` is markup: check the tags' attributes.
  for (const tag of html.match(/<[^>]*>/g) ?? []) {
    assert.doesNotMatch(tag, /\s(src|href|xlink:href|action|srcset)\s*=/i, `nothing loaded or linked: ${tag}`);
    assert.doesNotMatch(tag, /\son\w+\s*=/i, `no event handler attributes: ${tag}`);
    assert.doesNotMatch(tag, /url\((?!#)/i, `no external url(): ${tag}`);
  }
  assert.doesNotMatch(html, /@import/i, 'no CSS import');
}

test('the real 2024 run exports as one self-contained HTML file with every section', async (t) => {
  const card = await loadModelCard(rebuildCorpus(tempDir(t)), '1');
  const html = modelCardHtml(card);
  assertSelfContained(html);
  assert.match(html, /^<!DOCTYPE html>/);
  for (const id of ['model', 'dataset', 'training', 'evaluation', 'pipeline', 'results', 'environment']) assert.match(html, new RegExp(`<section id="${id}">`));
  const text = visibleText(html);
  for (const s of ['conv_net', 'Testing 1 2 3 Hopefully it works.', '1.0.0', 'mnist', 'train 70 %, val 30 %', 'ADAM', 'cross_entropy_loss',
    'F1_SCORE_macro', 'average=macro', '1,199,882', 'Tesla V100-SXM2-32GB', '1007 GB', '2024-02-14', 'Python packages (175)',
    // The source repo as typed, URL and all, though the file holds no URL.
    'Github repo link Ex: https://github.com/mlgym/mlgym/tree/dev']) assert.ok(text.includes(s), s);
  // The pipeline as inline SVG: one node group per component.
  assert.equal((html.match(/<g class="node/g) ?? []).length, card.pipeline.nodes.length);
  assert.equal((html.match(/<path class="edge/g) ?? []).length, card.pipeline.edges.length);
});

test('a generated run: final scores and one chart per tag with a line per split', async (t) => {
  const w = writeEventStorage(tempDir(t), { experiments: 3, epochs: 5 });
  const card = await loadModelCard(w.dir, '1');
  const html = modelCardHtml(card);
  assertSelfContained(html);
  const tags = new Set(card.results.series.map((s) => s.tag));
  assert.equal((html.match(/<svg class="chart"/g) ?? []).length, tags.size);
  assert.equal((html.match(/<path class="line s\d"/g) ?? []).length, card.results.series.length);
  const f1 = card.results.scores.find((s) => s.key === 'val_F1_SCORE_macro')!;
  assert.ok(visibleText(html).includes(String(Number(f1.value!.toPrecision(6)))), 'the final val F1 is shown');
  assert.ok(visibleText(html).includes('NVIDIA A100-SXM4-80GB'));
  // The JSON export is the card itself, and it passes the contract guard when read back.
  const back: unknown = JSON.parse(modelCardJson(card));
  assert.deepEqual(back, card);
  assert.ok(isModelCardData(back));
});

test('every text is escaped: markup in configs stays text', () => {
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)> & "quoted" \'single\' http://evil.example/x';
  const card = buildModelCard({
    gridSearchId: '<gs>', experimentId: '"0"',
    gridSearchConfig: { model_info: { model_description: evil, model_version: '</title><script>', source_repo: 'https://a.example/<b>' } },
    experimentConfig: {
      [`comp<${'i'}>`]: { component_type_key: '<T>', variant_key: '"v"', requirements: [{ name: '<n>', component_name: 'x</text><script>' }] },
      dataset_iterators: { component_type_key: 'DATASET_ITERATORS', variant_key: 'DEFAULT', config: { dataset_identifier: evil, split_configs: [{ split: '<s>' }] } },
    },
  });
  const html = modelCardHtml(card);
  assertSelfContained(html);
  assert.doesNotMatch(html, /<img|<b>|<n>|<T>|<s>|<gs>/);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('&quot;quoted&quot; &#39;single&#39;'));
  assert.ok(visibleText(html).includes(evil), 'it reads as typed');
  assert.ok(visibleText(html).includes('x</text><script>'), 'node names too');
});
