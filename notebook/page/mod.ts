/**
 * The replay as one self-contained page (`deno task notebook --html` →
 * `results/notebook/index.html`): `page.ts` renders the replay's report
 * beside the Jupyter notebook's explanations and code, and the benchmark
 * table of `bench/results/compare.json` (`bench_compare.ts`).
 *
 * @module
 */

export {
  BENCH_COMPARE_PATH,
  type BenchCompare,
  type BenchMachine,
  type BenchRow,
  parseBenchCompare,
  readBenchCompare,
} from "./bench_compare.ts";
export {
  esc,
  LONG_TABLE,
  matchReplay,
  narrowSpec,
  NOTEBOOK_PATH,
  numbersTable,
  PAGE_PATH,
  type PageInput,
  renderMarkdown,
  renderPage,
  resultsTable,
  slug,
  words,
  writePage,
  type WritePageOptions,
} from "./page.ts";
