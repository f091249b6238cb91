/**
 * Text widths from a TrueType font's own tables, so headless Vega lays out
 * titles, legends and axis labels for the font resvg will draw them in.
 *
 * Without a canvas, Vega guesses a text's width as `0.8 · fontSize` per
 * character — far wider than DejaVu Sans — which pads charts with empty space.
 * Reading each glyph's advance width (`cmap` → glyph index → `hmtx`) gives
 * the width the PNG will really have (kerning aside).
 *
 * The DejaVu Sans files are shipped in `fonts/` (from the npm package
 * `dejavu-fonts-ttf` 2.37.3, whose 12 MB of other faces a first run would
 * otherwise download; see `fonts/README.md`).
 *
 * @module
 */

/** Version of the DejaVu fonts the PNGs are drawn with (the npm package they come from). */
export const DEJAVU_VERSION = "2.37.3";

/**
 * `file:` URL of one TrueType file shipped in `fonts/`.
 *
 * @param name file name, e.g. `"DejaVuSans.ttf"`
 */
export function dejavuFontUrl(name: string): string {
  return new URL(`./fonts/${name}`, import.meta.url).href;
}

/** Advance widths of one font. */
export interface FontMetrics {
  /** Font units per em (`head.unitsPerEm`). */
  readonly unitsPerEm: number;
  /**
   * Advance width of a character, in font units (0 for a character without a glyph:
   * the `.notdef` advance is used).
   *
   * @param codePoint a Unicode code point
   */
  advance(codePoint: number): number;
}

/**
 * Reads the advance widths of a TrueType font (`head`, `hhea`, `hmtx`, and a
 * `cmap` subtable of format 4 — the Basic Multilingual Plane).
 *
 * @param bytes the `.ttf` file
 * @returns the font's metrics
 * @throws {Error} when a needed table is missing
 */
export function parseFontMetrics(bytes: Uint8Array): FontMetrics {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const numTables = view.getUint16(4);
  const tables = new Map<string, number>();
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    const tag = String.fromCharCode(...bytes.subarray(rec, rec + 4));
    tables.set(tag, view.getUint32(rec + 8));
  }
  const need = (tag: string) => {
    const at = tables.get(tag);
    if (at === undefined) throw new Error(`font has no '${tag}' table`);
    return at;
  };
  const unitsPerEm = view.getUint16(need("head") + 18);
  const numHMetrics = view.getUint16(need("hhea") + 34);
  const hmtx = need("hmtx");
  const advanceOfGlyph = (g: number) => view.getUint16(hmtx + 4 * Math.min(g, numHMetrics - 1));

  // cmap: prefer (3, 1) Windows Unicode BMP, else (0, *) Unicode, in format 4.
  const cmap = need("cmap");
  let sub = -1;
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = view.getUint16(rec);
    const encoding = view.getUint16(rec + 2);
    const offset = cmap + view.getUint32(rec + 4);
    if (view.getUint16(offset) !== 4) continue;
    if (platform === 3 && encoding === 1) {
      sub = offset;
      break;
    }
    if (platform === 0 && sub === -1) sub = offset;
  }
  if (sub === -1) throw new Error("font has no format-4 'cmap' subtable");
  const segCount = view.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segCount + 2;
  const deltas = starts + 2 * segCount;
  const rangeOffsets = deltas + 2 * segCount;
  const glyphOf = (c: number): number => {
    for (let i = 0; i < segCount; i++) {
      if (c > view.getUint16(ends + 2 * i)) continue;
      const start = view.getUint16(starts + 2 * i);
      if (c < start) return 0;
      const delta = view.getInt16(deltas + 2 * i);
      const ro = view.getUint16(rangeOffsets + 2 * i);
      if (ro === 0) return (c + delta) & 0xffff;
      const g = view.getUint16(rangeOffsets + 2 * i + ro + 2 * (c - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  return {
    unitsPerEm,
    advance(codePoint) {
      let w = cache.get(codePoint);
      if (w === undefined) {
        w = codePoint > 0xffff ? advanceOfGlyph(0) : advanceOfGlyph(glyphOf(codePoint));
        cache.set(codePoint, w);
      }
      return w;
    },
  };
}

/**
 * Width of a line of text set in a font.
 *
 * @param m the font's metrics
 * @param text the text
 * @param fontSize size in pixels
 * @returns the width in pixels
 *
 * @example
 * ```ts ignore
 * textWidth(dejavuSans, "Epoch", 13); // ≈ 36 px
 * ```
 */
export function textWidth(m: FontMetrics, text: string, fontSize: number): number {
  let units = 0;
  for (const ch of text) units += m.advance(ch.codePointAt(0)!);
  return (units / m.unitsPerEm) * fontSize;
}
