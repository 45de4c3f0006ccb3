/**
 * A pipeline node's label fitted to its box. Its own module so the model card webview, which draws the
 * labels, does not bundle the layout (pipelineGraph.ts and @dagrejs/dagre) it never runs.
 */

/** Text width estimate at the 12px UI font: the layout runs without a DOM to measure in. */
export const CHAR_WIDTH = 7;

/** Shortens a label to what fits in a node of this width (ellipsis at the end). */
export function fitText(text: string, width: number): string {
  const max = Math.max(4, Math.floor((width - 16) / CHAR_WIDTH));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
