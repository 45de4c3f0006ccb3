/** Caret-marker fixtures: `tasks:\n  tr|ain:` gives the text without the marker and the marker's offset. */
export function caret(textWithMarker: string, marker = '|'): { text: string; offset: number } {
  const offset = textWithMarker.indexOf(marker);
  if (offset < 0) throw new Error(`no ${marker} marker in fixture`);
  return { text: textWithMarker.slice(0, offset) + textWithMarker.slice(offset + marker.length), offset };
}
