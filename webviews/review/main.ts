/**
 * The Review panel (webview): every input with its prediction (label and score, boxes drawn on the image, a mask
 * overlaid), filtered by class, score range and verdict, sorted least confident first; verdicts by keyboard.
 * The keys are VS Code keybindings on `cubelab.review.*` commands (rebindable): the extension forwards each as a
 * `command` message, and the page turns it into a verdict (posted to the extension, which appends it to
 * reviews.jsonl) and moves on. The list is virtualised (10,000 items scroll and filter at once); images are
 * decoded here by the browser, from the webview resource URIs the extension allows.
 */
import './style.css';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { PredictedBox } from '../../shared/prediction-format';
import {
  isReviewToWebview, isReviewViewState,
  type ReviewCommand, type ReviewFromWebview, type ReviewItem, type ReviewToWebview, type ReviewVerdict, type ReviewViewState,
} from '../../shared/webview-protocol/review';
import { connectToHost, el } from '../shared/host';
import { VERDICT_ICON, boxCorrection, confidence, decodeRle, labelsOf, pickClass, verdictText, viewOf, type VerdictChange } from './view';

const ROW_HEIGHT = 24;
const OVERSCAN = 10;
const SVG = 'http://www.w3.org/2000/svg';

const host = connectToHost<ReviewToWebview, ReviewFromWebview, ReviewViewState>(isReviewToWebview, isReviewViewState);
const saved = host.getState();
let state: ReviewViewState = saved ?? { source: '', label: '', verdict: '', minScore: null, maxScore: null, sort: 'score-asc', current: -1 };
let items: ReviewItem[] = [];
const byI = new Map<number, ReviewItem>();
let classes: string[] = [];
let view: number[] = [];
/** Position of each item in `view` (-1: filtered out). */
let position = new Int32Array(0);
let imageBase = '';
let maskBase = '';
let keys: Record<string, string> = {};
let selectedBox = -1;

// ---- layout -------------------------------------------------------------------------------------------
const app = document.getElementById('app') as HTMLElement;
const toolbar = el('div', 'toolbar');
const classFilter = document.createElement('vscode-single-select') as VscodeSingleSelect;
classFilter.id = 'class-filter';
classFilter.setAttribute('aria-label', 'Class');
const verdictFilter = document.createElement('vscode-single-select') as VscodeSingleSelect;
verdictFilter.id = 'verdict-filter';
verdictFilter.setAttribute('aria-label', 'Verdict');
const minScore = document.createElement('vscode-textfield') as VscodeTextfield;
minScore.id = 'min-score';
minScore.placeholder = 'min score';
minScore.setAttribute('aria-label', 'Lowest score');
const maxScore = document.createElement('vscode-textfield') as VscodeTextfield;
maxScore.id = 'max-score';
maxScore.placeholder = 'max score';
maxScore.setAttribute('aria-label', 'Highest score');
const sortSelect = document.createElement('vscode-single-select') as VscodeSingleSelect;
sortSelect.id = 'sort';
sortSelect.setAttribute('aria-label', 'Sort');
const count = el('span', 'count');
count.id = 'count';
toolbar.append(labelled('Class', classFilter), labelled('Verdict', verdictFilter), labelled('Score', minScore, maxScore), labelled('Sort', sortSelect), count);
const problemsBar = el('div', 'problems');
problemsBar.id = 'problems';
const main = el('div', 'main');
const listPane = el('div', 'list');
listPane.setAttribute('role', 'listbox');
listPane.setAttribute('aria-label', 'Predictions');
listPane.tabIndex = 0;
const spacer = el('div', 'spacer');
listPane.append(spacer);
const detail = el('div', 'detail');
const figure = el('div', 'figure');
const img = document.createElement('img');
img.alt = '';
img.id = 'image';
const maskCanvas = document.createElement('canvas');
maskCanvas.className = 'mask';
/** An indexed PNG mask, shown lightened over the image (its pixel values are label numbers, 0 background). */
const maskPng = document.createElement('img');
maskPng.className = 'mask-png';
maskPng.alt = '';
const overlay = document.createElementNS(SVG, 'svg');
overlay.classList.add('boxes');
figure.append(img, maskCanvas, maskPng, overlay);
const info = el('div', 'info');
info.id = 'info';
const help = el('div', 'help');
help.id = 'help';
detail.append(figure, info, help);
main.append(listPane, detail);
app.append(toolbar, problemsBar, main);

function labelled(text: string, ...controls: HTMLElement[]): HTMLElement {
  const l = el('label', 'field');
  l.append(el('span', 'field-label', text), ...controls);
  return l;
}

function option(select: HTMLElement, value: string, text: string, selected: boolean): void {
  const o = document.createElement('vscode-option');
  o.setAttribute('value', value);
  o.textContent = text;
  if (selected) o.setAttribute('selected', '');
  select.append(o);
}

// ---- typing in the page's own fields must not review ----------------------------------------------------
toolbar.addEventListener('focusin', () => host.post({ type: 'inputFocus', focused: true }));
toolbar.addEventListener('focusout', () => host.post({ type: 'inputFocus', focused: false }));

// ---- state and view -------------------------------------------------------------------------------------
function saveState(): void {
  host.setState(state);
  host.post({ type: 'stateChanged', state });
}

function rebuildView(keepCurrent = true): void {
  view = viewOf(items, state);
  position = new Int32Array(items.length).fill(-1);
  view.forEach((i, p) => { position[i] = p; });
  if (!keepCurrent || state.current < 0 || position[state.current] === -1) state.current = view[0] ?? -1;
  spacer.style.height = `${view.length * ROW_HEIGHT}px`;
  renderCount();
  renderRows(true);
  renderDetail();
}

function renderCount(): void {
  let reviewed = 0;
  for (const it of items) if (it.verdict !== 'unreviewed') reviewed++;
  count.textContent = `${view.length.toLocaleString('en')} of ${items.length.toLocaleString('en')} shown · ${reviewed.toLocaleString('en')} reviewed`;
}

// ---- the list ----------------------------------------------------------------------------------------------
const rowPool: HTMLElement[] = [];
let firstRendered = -1;
let lastRendered = -1;

function rowFor(slot: number): HTMLElement {
  let r = rowPool[slot];
  if (!r) {
    r = el('div', 'row');
    r.setAttribute('role', 'option');
    r.append(el('span', 'verdict'), el('span', 'score num'), el('span', 'label'), el('span', 'path'));
    r.addEventListener('click', () => { const i = Number(r!.dataset.i); if (Number.isFinite(i)) select(i); });
    rowPool[slot] = r;
    spacer.append(r);
  }
  return r;
}

function renderRows(force = false): void {
  const top = listPane.scrollTop;
  const height = listPane.clientHeight || 600;
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(view.length - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
  if (!force && first === firstRendered && last === lastRendered) return;
  firstRendered = first; lastRendered = last;
  let slot = 0;
  for (let p = first; p <= last; p++, slot++) fillRow(rowFor(slot), p);
  for (let s = slot; s < rowPool.length; s++) rowPool[s]!.hidden = true;
}

function fillRow(r: HTMLElement, p: number): void {
  const it = byI.get(view[p]!)!;
  r.hidden = false;
  r.dataset.i = String(it.i);
  r.style.top = `${p * ROW_HEIGHT}px`;
  const [v, s, l, path] = r.children as unknown as HTMLElement[];
  v!.textContent = `${VERDICT_ICON[it.verdict]} ${verdictText(it)}`;
  v!.className = `verdict verdict-${it.verdict}`;
  s!.textContent = confidence(it).toFixed(3);
  l!.textContent = labelsOf(it).join(', ');
  path!.textContent = it.path;
  const selected = it.i === state.current;
  r.classList.toggle('selected', selected);
  r.setAttribute('aria-selected', String(selected));
}

function refreshRow(i: number): void {
  const p = position[i] ?? -1;
  if (p < firstRendered || p > lastRendered || p < 0) return;
  fillRow(rowPool[p - firstRendered]!, p);
}

listPane.addEventListener('scroll', () => renderRows());
new ResizeObserver(() => renderRows(true)).observe(listPane);

function scrollIntoView(i: number): void {
  const p = position[i] ?? -1;
  if (p < 0) return;
  const top = p * ROW_HEIGHT;
  if (top < listPane.scrollTop) listPane.scrollTop = top;
  else if (top + ROW_HEIGHT > listPane.scrollTop + listPane.clientHeight) listPane.scrollTop = top + ROW_HEIGHT - listPane.clientHeight;
}

function select(i: number): void {
  const prev = state.current;
  state.current = i;
  selectedBox = -1;
  scrollIntoView(i);
  renderRows();
  if (prev >= 0) refreshRow(prev);
  refreshRow(i);
  renderDetail();
  saveState();
}

function move(delta: number): void {
  if (!view.length) return;
  const p = state.current >= 0 ? position[state.current] ?? -1 : -1;
  const next = p < 0 ? 0 : Math.min(view.length - 1, Math.max(0, p + delta));
  select(view[next]!);
}

// ---- the current item ---------------------------------------------------------------------------------------
let paintSeq = 0;
function renderDetail(): void {
  const it = byI.get(state.current);
  info.replaceChildren();
  overlay.replaceChildren();
  maskCanvas.width = 0;
  if (!it) {
    img.removeAttribute('src');
    info.append(el('p', 'empty', items.length ? 'No prediction matches the filters.' : 'No predictions.'));
    return;
  }
  const src = imageBase ? `${imageBase}/${it.path.split('/').map(encodeURIComponent).join('/')}` : '';
  if (src && img.getAttribute('src') !== src) img.setAttribute('src', src);
  img.alt = it.path;
  const head = el('div', 'item-head');
  head.append(el('span', `badge verdict-${it.verdict}`, `${VERDICT_ICON[it.verdict]} ${verdictText(it)}`), el('span', 'item-path', it.path));
  info.append(head);
  if (it.label !== undefined) {
    info.append(el('div', 'prediction', `Predicted ${it.label} · score ${(it.score ?? 0).toFixed(3)}`));
    if (it.top?.length) info.append(el('div', 'top', it.top.map(([l, s]) => `${l}: ${s.toFixed(3)}`).join('  ·  ')));
  }
  const boxes = currentBoxes(it);
  if (boxes) info.append(el('div', 'prediction', `${boxes.length} box${boxes.length === 1 ? '' : 'es'}${it.correction?.boxes ? ' (corrected)' : ''}: ${boxes.map((b) => `${b.label} ${b.score.toFixed(2)}`).join(', ')}`));
  if (it.mask) info.append(el('div', 'prediction', `Mask: ${labelsOf({ ...it, correction: undefined, label: undefined, boxes: undefined } as ReviewItem).join(', ')}`));
  drawOverlay(it);
  const seq = ++paintSeq;
  requestAnimationFrame(() => { if (seq === paintSeq) host.post({ type: 'painted', i: it.i }); });
}

function currentBoxes(it: ReviewItem): PredictedBox[] | undefined {
  return it.correction?.boxes ?? it.boxes;
}

/** The image's natural size once known; boxes are in its pixels. */
function imageSize(it: ReviewItem): [number, number] {
  if (img.naturalWidth && img.complete) return [img.naturalWidth, img.naturalHeight];
  const rle = it.mask?.rle?.[0];
  if (rle) return [rle.size[1], rle.size[0]];
  return [64, 64];
}

img.addEventListener('load', () => { const it = byI.get(state.current); if (it) drawOverlay(it); });

function drawOverlay(it: ReviewItem): void {
  const [w, h] = imageSize(it);
  overlay.setAttribute('viewBox', `0 0 ${w} ${h}`);
  overlay.replaceChildren();
  const boxes = currentBoxes(it) ?? [];
  boxes.forEach((b, k) => {
    const g = document.createElementNS(SVG, 'g');
    g.classList.add('box');
    if (k === selectedBox) g.classList.add('selected');
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', String(b.x)); r.setAttribute('y', String(b.y));
    r.setAttribute('width', String(b.width)); r.setAttribute('height', String(b.height));
    r.dataset.box = String(k);
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', String(b.x)); t.setAttribute('y', String(Math.max(3, b.y - 0.8)));
    t.textContent = b.label;
    g.append(r, t);
    overlay.append(g);
  });
  drawMask(it, w, h);
}

function drawMask(it: ReviewItem, w: number, h: number): void {
  const m = it.mask;
  if (m?.png && maskBase) maskPng.setAttribute('src', `${maskBase}/${m.png.split('/').map(encodeURIComponent).join('/')}`);
  else maskPng.removeAttribute('src');
  maskPng.hidden = !(m?.png && maskBase);
  if (!m?.rle?.length) { maskCanvas.width = 0; return; }
  maskCanvas.width = w; maskCanvas.height = h;
  const ctx = maskCanvas.getContext('2d');
  if (!ctx) return;
  const data = ctx.createImageData(w, h);
  const hues = [[0, 122, 204], [209, 105, 0], [22, 130, 93], [180, 40, 160], [200, 170, 0]];
  m.rle.forEach((r, k) => {
    if (r.size[0] !== h || r.size[1] !== w) return;
    const bits = decodeRle(r.size, r.counts);
    const [cr, cg, cb] = hues[k % hues.length]!;
    for (let p = 0; p < bits.length; p++) if (bits[p]) { data.data[p * 4] = cr!; data.data[p * 4 + 1] = cg!; data.data[p * 4 + 2] = cb!; data.data[p * 4 + 3] = 110; }
  });
  ctx.putImageData(data, 0, 0);
}

// Box editing with the pointer: click a box to select it, drag it to move it, drag on the image to add one.
let drag: { kind: 'move' | 'add'; k: number; x0: number; y0: number; boxes: PredictedBox[] } | undefined;
function toImage(ev: PointerEvent): [number, number] {
  const rect = overlay.getBoundingClientRect();
  const [w, h] = imageSize(byI.get(state.current)!);
  return [Math.round(((ev.clientX - rect.left) / rect.width) * w), Math.round(((ev.clientY - rect.top) / rect.height) * h)];
}
overlay.addEventListener('pointerdown', (ev) => {
  const it = byI.get(state.current);
  if (!it || !(it.boxes || it.correction?.boxes)) return;
  const [x, y] = toImage(ev);
  const target = ev.target as Element;
  const boxes = (currentBoxes(it) ?? []).map((b) => ({ ...b }));
  const k = target instanceof SVGRectElement ? Number(target.dataset.box) : -1;
  overlay.setPointerCapture(ev.pointerId);
  if (k >= 0) { selectedBox = k; drag = { kind: 'move', k, x0: x, y0: y, boxes }; }
  else {
    selectedBox = boxes.length;
    boxes.push({ label: boxes[0]?.label ?? classes[0] ?? '?', score: 1, x, y, width: 1, height: 1 });
    drag = { kind: 'add', k: selectedBox, x0: x, y0: y, boxes };
  }
  drawOverlay({ ...it, correction: { boxes } });
});
overlay.addEventListener('pointermove', (ev) => {
  const it = byI.get(state.current);
  if (!drag || !it) return;
  const [x, y] = toImage(ev);
  const b = drag.boxes[drag.k]!;
  if (drag.kind === 'move') {
    const orig = (currentBoxes(it) ?? [])[drag.k]!;
    b.x = Math.max(0, orig.x + x - drag.x0); b.y = Math.max(0, orig.y + y - drag.y0);
  } else {
    b.x = Math.min(x, drag.x0); b.y = Math.min(y, drag.y0);
    b.width = Math.max(1, Math.abs(x - drag.x0)); b.height = Math.max(1, Math.abs(y - drag.y0));
  }
  drawOverlay({ ...it, correction: { boxes: drag.boxes } });
});
overlay.addEventListener('pointerup', () => {
  const it = byI.get(state.current);
  const d = drag;
  drag = undefined;
  if (!it || !d) return;
  const orig = currentBoxes(it) ?? [];
  const moved = d.kind === 'add' ? d.boxes[d.k]!.width > 2 && d.boxes[d.k]!.height > 2 : JSON.stringify(orig[d.k]) !== JSON.stringify(d.boxes[d.k]);
  if (!moved) { if (d.kind === 'add') selectedBox = -1; drawOverlay(it); return; }
  decide(it, boxCorrection(it, d.boxes));
});

// ---- verdicts -------------------------------------------------------------------------------------------
function decide(it: ReviewItem, change: VerdictChange): void {
  it.verdict = change.verdict;
  if (change.correction) it.correction = change.correction; else delete it.correction;
  host.post({ type: 'verdict', i: it.i, verdict: change.verdict, ...(change.correction ? { correction: change.correction } : {}) });
  refreshRow(it.i);
  renderCount();
  renderDetail();
}

function run(command: ReviewCommand, arg?: number): void {
  const it = byI.get(state.current);
  switch (command) {
    case 'next': case 'skip': move(1); return;
    case 'previous': move(-1); return;
    case 'first': if (view.length) select(view[0]!); return;
    case 'last': if (view.length) select(view[view.length - 1]!); return;
  }
  if (!it) return;
  switch (command) {
    case 'accept': decide(it, { verdict: 'valid' }); return;
    case 'reject': decide(it, { verdict: 'invalid' }); return;
    case 'acceptAndNext': decide(it, { verdict: 'valid' }); move(1); return;
    case 'pickClass': {
      const label = arg !== undefined ? classes[arg] : undefined;
      if (label === undefined) return;
      const change = pickClass(it, label, selectedBox);
      if (change) decide(it, change);
      return;
    }
    case 'deleteBox': {
      const boxes = currentBoxes(it);
      if (!boxes || selectedBox < 0 || selectedBox >= boxes.length) return;
      const next = boxes.filter((_b, k) => k !== selectedBox);
      selectedBox = -1;
      decide(it, boxCorrection(it, next));
      return;
    }
  }
}

// ---- filters ------------------------------------------------------------------------------------------------
function parseScore(v: string): number | null {
  const t = v.trim();
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}
classFilter.addEventListener('change', () => { state = { ...state, label: classFilter.value }; rebuildView(); saveState(); });
verdictFilter.addEventListener('change', () => { state = { ...state, verdict: verdictFilter.value as '' | ReviewVerdict }; rebuildView(); saveState(); });
sortSelect.addEventListener('change', () => { state = { ...state, sort: sortSelect.value as ReviewViewState['sort'] }; rebuildView(); saveState(); });
for (const [field, key] of [[minScore, 'minScore'], [maxScore, 'maxScore']] as const) {
  field.addEventListener('input', () => {
    const n = parseScore(field.value);
    field.toggleAttribute('invalid', field.value.trim() !== '' && n === null);
    state = { ...state, [key]: n };
    rebuildView();
    saveState();
  });
}

function renderControls(): void {
  classFilter.replaceChildren();
  option(classFilter, '', 'All classes', state.label === '');
  for (const c of classes) option(classFilter, c, c, state.label === c);
  verdictFilter.replaceChildren();
  for (const [v, t] of [['', 'All verdicts'], ['unreviewed', `${VERDICT_ICON.unreviewed} unreviewed`], ['valid', `${VERDICT_ICON.valid} valid`], ['invalid', `${VERDICT_ICON.invalid} invalid`], ['corrected', `${VERDICT_ICON.corrected} corrected`]] as const) option(verdictFilter, v, t, state.verdict === v);
  sortSelect.replaceChildren();
  for (const [v, t] of [['score-asc', 'Least confident first'], ['score-desc', 'Most confident first'], ['path', 'By path']] as const) option(sortSelect, v, t, state.sort === v);
  minScore.value = state.minScore === null ? '' : String(state.minScore);
  maxScore.value = state.maxScore === null ? '' : String(state.maxScore);
  const k = (c: string, fallback: string) => keys[c] || fallback;
  help.textContent = `${k('acceptAndNext', 'Enter')} accept and next · ${k('accept', 'A')} accept · ${k('reject', 'R')} reject · ${k('skip', 'S')} skip · `
    + `${k('undo', 'U')} undo · ${k('next', 'J')}/${k('previous', 'K')} next/previous · 0–9 pick a class · ${k('deleteBox', 'Delete')} delete the selected box · drag on the image to add a box`;
}

// ---- messages -----------------------------------------------------------------------------------------------
host.onMessage((m) => {
  switch (m.type) {
    case 'init': {
      items = m.items;
      byI.clear();
      for (const it of items) byI.set(it.i, it);
      classes = m.classes;
      imageBase = m.imageBase;
      maskBase = m.maskBase;
      keys = m.keys;
      if (state.source !== m.source) state = { source: m.source, label: '', verdict: '', minScore: null, maxScore: null, sort: 'score-asc', current: -1 };
      document.title = m.title;
      problemsBar.replaceChildren();
      if (m.problemCount) {
        problemsBar.append(el('span', undefined, `${m.problemCount} line(s) of the predictions file could not be read and are left out: `));
        problemsBar.append(el('span', undefined, m.problems.slice(0, 5).map((p) => `line ${p.line}: ${p.message}`).join('; ') + (m.problemCount > 5 ? '; …' : '')));
      }
      problemsBar.hidden = !m.problemCount;
      renderControls();
      rebuildView(true);
      saveState();
      return;
    }
    case 'reviews': {
      for (const u of m.updates) {
        const it = byI.get(u.i);
        if (!it) continue;
        it.verdict = u.verdict;
        if (u.correction) it.correction = u.correction; else delete it.correction;
        refreshRow(u.i);
      }
      renderCount();
      if (m.updates.some((u) => u.i === state.current)) renderDetail();
      return;
    }
    case 'command': run(m.command, m.arg); return;
    case 'reveal': if (byI.has(m.i)) { if ((position[m.i] ?? -1) < 0) { state = { ...state, verdict: '', label: '', minScore: null, maxScore: null }; renderControls(); rebuildView(); } select(m.i); } return;
  }
});

host.post({ type: 'ready' });
