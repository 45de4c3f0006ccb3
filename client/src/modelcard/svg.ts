/**
 * The card's pictures as SVG text for the HTML export: the pipeline graph (from its laid-out nodes and
 * edges) and one results chart per tag. Colours come from classes the export's stylesheet defines. Every
 * text goes through `escapeXml`.
 */
import type { ModelCardData, PipelineGraph, ResultSeries } from '../../../shared/webview-protocol/modelCard';
import { chartGeometry } from './chart';
import { fitText } from './nodeLabel';

/**
 * Escapes for text and attribute values. `://` is written `&#58;//` so the file holds no URL that a
 * viewer, mail filter or scanner could take for remote content; it still reads as typed.
 */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
    .replace(/:\/\//g, '&#58;//');
}

export function pipelineSvg(g: PipelineGraph): string {
  if (!g.nodes.length) return '<p class="empty">No components.</p>';
  const edges = g.edges.map((e) => {
    const label = `${e.from} → ${e.to} (${e.name}${e.subscription ? `: ${e.subscription}` : ''})`;
    return `<path class="edge${e.cycle ? ' cycle' : ''}" d="${escapeXml(e.d)}" marker-end="url(#arrow)"><title>${escapeXml(label)}</title></path>`;
  });
  const nodes = g.nodes.map((n) => {
    const sub = n.missing ? 'missing from the config' : `${n.type} · ${n.variant}`;
    return `<g class="node${n.missing ? ' missing' : ''}" data-component="${escapeXml(n.id)}">`
      + `<title>${escapeXml(`${n.id}: ${sub}`)}</title>`
      + `<rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="4"/>`
      + `<text class="name" x="${n.x + 8}" y="${n.y + 16}">${escapeXml(fitText(n.id, n.width))}</text>`
      + `<text class="type" x="${n.x + 8}" y="${n.y + 32}">${escapeXml(fitText(sub, n.width))}</text></g>`;
  });
  // Inline SVG in HTML needs no xmlns (the HTML parser knows the element).
  return `<svg class="pipeline" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" role="img" aria-label="Pipeline graph">`
    + '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path class="arrow" d="M 0 0 L 10 5 L 0 10 Z"/></marker></defs>'
    + edges.join('') + nodes.join('') + '</svg>';
}

/** The results grouped into charts: one per tag, one line per split (sorted by split order of the card). */
export function chartGroups(card: ModelCardData): { tag: string; lines: ResultSeries[] }[] {
  const order = card.evaluation.splits;
  const byTag = new Map<string, ResultSeries[]>();
  for (const s of card.results.series) (byTag.get(s.tag) ?? byTag.set(s.tag, []).get(s.tag)!).push(s);
  const rank = (split: string) => { const i = order.indexOf(split); return i < 0 ? order.length : i; };
  return [...byTag.entries()].sort((a, b) => a[0].localeCompare(b[0]))
    .map(([tag, lines]) => ({ tag, lines: lines.sort((a, b) => rank(a.split) - rank(b.split) || a.split.localeCompare(b.split)) }));
}

export function resultChartSvg(tag: string, lines: ResultSeries[]): string {
  const g = chartGeometry(lines.map((l) => ({ label: l.split || l.key, epochs: l.epochs, values: l.values })));
  const { left, top, right, bottom } = g.plot;
  const parts: string[] = [`<rect class="frame" x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/>`];
  for (const t of g.yTicks) parts.push(`<text class="tick" x="${left - 4}" y="${t.y + 4}" text-anchor="end">${escapeXml(t.label)}</text>`);
  for (const t of g.xTicks) parts.push(`<text class="tick" x="${t.x}" y="${bottom + 14}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  g.lines.forEach((l, i) => {
    if (l.d) parts.push(`<path class="line s${i % 6}" d="${l.d}"><title>${escapeXml(l.label)}</title></path>`);
  });
  return `<svg class="chart" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" role="img" aria-label="${escapeXml(tag)}">${parts.join('')}</svg>`;
}
