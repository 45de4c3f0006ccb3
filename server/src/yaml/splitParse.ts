/**
 * A full parse of a large manifest in pieces, with the same tree as one `yaml` parse of the whole text.
 * Most of a large manifest is one block mapping (`tasks:`) of many small items. Parsed as one text, the
 * whole concrete syntax tree stays alive until the document is composed, and the young-generation garbage
 * collector copies it again and again: about a third of the parse. Here each item is parsed on its own
 * (its syntax tree dies young), the rest of the file once as a "skeleton" (the text with the item bodies
 * cut out, the last item kept whole so that the ends of the enclosing nodes come out as in a full parse),
 * and the items' pairs are put back into the skeleton's mapping with their ranges shifted.
 *
 * Only texts whose lines show the structure plainly take this path: the section is a plain `tasks:` at
 * column 0, every item starts with a plain `key:` line at one indentation, every other content line of
 * the section is indented deeper, no tabs, carriage returns or directives. Anything the pieces
 * disagree on (an error or warning in any piece, anchors, aliases or merge keys, a skeleton whose
 * mapping does not hold exactly the items found in the text) falls back to the whole-text parse, so
 * errors are always the library's own. test/unit/yaml/splitParse.test.ts compares both trees node by node.
 */
import { isMap, isPair, isScalar, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { keyString, LineIndex, parseDocuments, type ParsedYaml } from './parsedDocument';
import { collectRanges, hasAliases } from './nodeRanges';

/**
 * One item of the section: `[start, end)` covers whole lines, from its key line to the next item's;
 * `[bodyStart, trailStart)` is its body, and the blank lines after it run to `end`.
 */
interface Item { start: number; end: number; bodyStart: number; trailStart: number; key: string }

/** Below this size a whole-text parse is cheap enough (a few milliseconds) and is what runs. */
export const SPLIT_MIN_LENGTH = 32 * 1024;

const ITEM_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*:[ ]*$/;

/** The items of the top-level `container:` block mapping, found from the text alone; undefined when unsure. */
function findItems(text: string, container: string): Item[] | undefined {
  if (text.includes('\r') || text.startsWith('%') || text.includes('\n%')) return undefined;
  const head = `${container}:`;
  let at = text.startsWith(head) ? 0 : text.indexOf(`\n${head}`) + 1;
  if (at === 0 && !text.startsWith(head)) return undefined;
  let nl = text.indexOf('\n', at);
  if (nl < 0 || text.slice(at + head.length, nl).trim() !== '') return undefined;
  // A second `container:` line (a duplicate key, or another document) is left to the whole-text parse.
  if (text.indexOf(`\n${head}`, nl) >= 0) return undefined;
  const items: Item[] = [];
  let indent = -1;
  // A comment between two items is attached by the library according to rules this does not repeat.
  let commentAfterBody = false;
  for (at = nl + 1; at < text.length; at = nl + 1) {
    nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    let lead = at;
    while (lead < nl && text.charCodeAt(lead) === 32) lead++;
    const c = text[lead];
    if (c === '\t') return undefined;
    if (lead === nl) continue;
    if (c === '#') { if (items.length) commentAfterBody = true; continue; }
    const col = lead - at;
    if (col === 0) break; // the next top-level key (or document marker) ends the section
    if (indent < 0) indent = col;
    if (col < indent) return undefined;
    if (col > indent) {
      if (!items.length) return undefined;
      commentAfterBody = false;
      items[items.length - 1].trailStart = Math.min(nl + 1, text.length);
      continue;
    }
    const line = text.slice(lead, nl);
    if (!ITEM_KEY.test(line) || commentAfterBody) return undefined;
    if (items.length) items[items.length - 1].end = at;
    const bodyStart = Math.min(nl + 1, text.length);
    items.push({ start: at, end: -1, bodyStart, trailStart: bodyStart, key: line.slice(0, line.indexOf(':')) });
  }
  if (items.length < 2) return undefined;
  // The last item runs to the line that ends the section (or the end of the text).
  items[items.length - 1].end = Math.min(at, text.length);
  return items;
}

/** The pair of one item, parsed on its own, with its ranges moved to where the item is in the text. */
function itemPair(text: string, item: Item): Pair<Node, Node | null> | undefined {
  const docs = parseDocuments(text.slice(item.start, item.end));
  const doc = docs[0];
  if (docs.length !== 1 || doc.errors.length || doc.warnings.length) return undefined;
  const map = doc.contents;
  if (!isMap(map) || (map as YAMLMap & { flow?: boolean }).flow || map.items.length !== 1) return undefined;
  const pair = map.items[0] as Pair<Node, Node | null>;
  if (keyString(pair) !== item.key || hasAliases(pair)) return undefined;
  const ranges: number[][] = [];
  collectRanges(pair, ranges);
  for (const r of ranges) { r[0] += item.start; r[1] += item.start; r[2] += item.start; }
  return pair;
}

/**
 * The parse of `text` built from pieces when the text qualifies (see above), else undefined (the caller
 * parses the whole text). The result is the tree a whole-text parse gives: same nodes, values and ranges.
 */
export function parseSplit(text: string, container: string): ParsedYaml | undefined {
  const items = findItems(text, container);
  if (!items) return undefined;
  const last = items.length - 1;
  // The skeleton: every item but the last reduced to its key line. `cuts[i]` is where item i's body was
  // cut out, in skeleton offsets, and `shifts[i]` how much text lies cut out before that point.
  const parts: string[] = [text.slice(0, items[0].start)];
  const cuts: number[] = [];
  const shifts: number[] = [];
  let length = items[0].start, removed = 0;
  for (let i = 0; i < last; i++) {
    const it = items[i];
    // The blank lines after the body stay: they set `spaceBefore` on the next key as in a whole parse.
    parts.push(text.slice(it.start, it.bodyStart), text.slice(it.trailStart, it.end));
    length += it.bodyStart - it.start;
    removed += it.trailStart - it.bodyStart;
    cuts.push(length);
    shifts.push(removed);
    length += it.end - it.trailStart;
  }
  parts.push(text.slice(items[last].start));
  const docs = parseDocuments(parts.join(''));
  if (!docs.length || docs.some((d) => d.errors.length || d.warnings.length || hasAliases(d.contents))) return undefined;
  const root = docs[0].contents;
  if (!isMap(root) || (root as YAMLMap & { flow?: boolean }).flow) return undefined;
  const holders = root.items.filter((p) => isPair(p) && keyString(p) === container);
  const map = holders.length === 1 ? holders[0].value : undefined;
  if (!isMap(map) || (map as YAMLMap & { flow?: boolean }).flow || map.items.length !== items.length) return undefined;
  // Skeleton offsets to text offsets: after the i-th cut, `shifts[i]` characters were removed.
  const toText = (o: number): number => {
    let lo = 0, hi = cuts.length - 1, shift = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cuts[mid] <= o) { shift = shifts[mid]; lo = mid + 1; } else hi = mid - 1;
    }
    return o + shift;
  };
  const ranges: number[][] = [];
  for (const d of docs) {
    if (d.range) ranges.push(d.range);
    collectRanges(d.contents, ranges);
  }
  for (const r of ranges) { r[0] = toText(r[0]); r[1] = toText(r[1]); r[2] = toText(r[2]); }
  // Every item's key must be the one the text scan found, on its line; then the items' own parses go in.
  const pairs = map.items as Pair<Node, Node | null>[];
  for (let i = 0; i < items.length; i++) {
    const k = pairs[i].key;
    const it = items[i];
    if (!isScalar(k) || !k.range || k.range[0] < it.start || k.range[1] > it.bodyStart || text.slice(k.range[0], k.range[1]) !== it.key || keyString(pairs[i]) !== it.key) return undefined;
    if (i === last) continue;
    const pair = itemPair(text, it);
    if (!pair) return undefined;
    if (k.spaceBefore) (pair.key as Node).spaceBefore = true;
    pairs[i] = pair;
  }
  return { text, docs, doc: docs[0], lines: new LineIndex(text) };
}
