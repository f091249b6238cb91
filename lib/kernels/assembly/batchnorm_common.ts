// What batchnorm's forward and backward kernels share: the walk over the
// batch in blocks of rows.
//
// Every pass walks the batch in blocks of BLOCK rows (then one row at a time
// for the last N mod BLOCK), and each block walks its rows' features one
// vector at a time: a vector of features loads its per-feature constants and
// running sums once per block, and the block's rows stream through memory side
// by side, in address order — so the hardware prefetcher follows them, where a
// walk down one column would touch a new page every row.
//
// The WebAssembly engine checks the bounds of every load and store (Deno runs
// V8 without the signal handler that would make the checks free), so a pass is
// written to need few memory accesses and little address arithmetic per
// element: pointers step a row at a time, and per-feature constants are loaded
// once per block.

/** Rows per block. */
export const BLOCK: i32 = 8;

/** Bytes of one row of D elements. */
// @ts-ignore: decorator
@inline export function rowStride<T>(D: i32): usize {
  return <usize>D * sizeof<T>();
}
