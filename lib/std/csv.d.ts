// Types for the parts of Deno std `csv` (deno-std@1.4.0) that bnlab uses,
// transcribed from std's own signatures (simplified to what we call).

/** Options of {@linkcode parse}. */
export interface ParseOptions {
  separator?: string;
  comment?: string;
  trimLeadingSpace?: boolean;
  lazyQuotes?: boolean;
  fieldsPerRecord?: number;
  skipFirstRow?: boolean;
  columns?: readonly string[];
}
/** Parses CSV text: rows of strings, or records when `skipFirstRow`/`columns` is given. */
export function parse(input: string): string[][];
/** Parses CSV text with options. */
export function parse(
  input: string,
  options: ParseOptions & ({ skipFirstRow: true } | { columns: readonly string[] }),
): Record<string, string>[];
/** Parses CSV text with options. */
export function parse(input: string, options: ParseOptions): string[][];

/** Options of {@linkcode stringify}. */
export interface StringifyOptions {
  headers?: boolean;
  separator?: string;
  columns?: readonly (string | { prop: string | string[]; header?: string })[];
  bom?: boolean;
}
/** Writes rows (arrays or records) as CSV text with CRLF line ends. */
export function stringify(
  data: readonly (readonly unknown[] | Record<string, unknown>)[],
  options?: StringifyOptions,
): string;
