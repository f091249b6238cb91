/**
 * The one table of the WebAssembly kernels' signatures: every export of the
 * kernel module, with the AssemblyScript file of its generic function and its
 * arguments in order. `deno task build:wasm` generates both sides of the
 * boundary from it — the AssemblyScript exports (`assembly/index.ts`, one per
 * dtype) and the typed TypeScript wrappers that marshal the arguments
 * (`wasm_bindings.ts`) — so an argument list is written by hand only in the
 * kernel interface (`types.ts`), the reference (`reference.ts`), the
 * AssemblyScript source and here.
 *
 * An argument is `"name:kind"`:
 *
 * | kind     | TypeScript side        | crosses as                        | AssemblyScript |
 * | -------- | ---------------------- | --------------------------------- | -------------- |
 * | `int`    | `number`               | itself                            | `i32`          |
 * | `float`  | `number`               | itself (rounded to f32 for f32)   | `f32` / `f64`  |
 * | `bool`   | `boolean`              | 1 or 0                            | `bool`         |
 * | `array`  | `FloatArray`, resident | its `byteOffset`                  | `usize`        |
 * | `array?` | `FloatArray \| null`   | its `byteOffset`, or 0 for null   | `usize`        |
 *
 * Each row is typed against the kernel's TypeScript signature: an argument of
 * the wrong kind at a position — a swapped array and number, say — is a type
 * error (the kernel spec proves it with `@ts-expect-error`).
 *
 * @module
 */

import type { FloatArray } from "./memory.ts";
import type { Kernels } from "./types.ts";

/** How one argument crosses into WebAssembly (see the module's table). */
export type ArgKind = "int" | "float" | "bool" | "array" | "array?";

/** The kinds a TypeScript parameter of type `T` may have. */
type KindOf<T> = [T] extends [boolean] ? "bool"
  : [T] extends [number] ? "int" | "float"
  : [T] extends [FloatArray] ? "array"
  : [T] extends [FloatArray | null] ? "array?"
  : never;

/** The two exports the matrix product is made of: pack B into panels, then multiply. */
export interface GemmExports {
  /**
   * Packs B `(K×N)`, element (p, j) at `b[p·rsb + j·csb]`, into panels of 32 bytes per row.
   *
   * @param K rows of B
   * @param N columns of B
   * @param b B
   * @param rsb row stride of B
   * @param csb column stride of B
   * @param dst the panels, `Kernels.packLength(K, N)` elements
   */
  packB(K: number, N: number, b: FloatArray, rsb: number, csb: number, dst: FloatArray): void;
  /**
   * `C = A · packed (+ bias) (ReLU)`, C row-major with leading dimension ldc.
   *
   * @param M rows of C
   * @param N columns of C
   * @param K the summed dimension
   * @param a A, element (i, p) at `a[i·rsa + p·csa]`
   * @param rsa row stride of A
   * @param csa column stride of A
   * @param packed B as `packB` wrote it
   * @param c C
   * @param ldc C's row stride
   * @param bias `(N,)` or null
   * @param relu apply `max(0, ·)` after the bias
   */
  gemm(
    M: number,
    N: number,
    K: number,
    a: FloatArray,
    rsa: number,
    csa: number,
    packed: FloatArray,
    c: FloatArray,
    ldc: number,
    bias: FloatArray | null,
    relu: boolean,
  ): void;
}

/** Every export, by its name without the dtype suffix, as TypeScript calls it. */
export type Bindings =
  & Omit<Kernels, "backend" | "resident" | "packLength" | "matmul">
  & GemmExports;

/** A number for every element of a parameter list. */
type Numbers<P extends readonly unknown[]> = { [I in keyof P]: number };

/** An argument spelling `"name:kind"` for every parameter, of a kind its type allows. */
type Spellings<P extends readonly unknown[]> = { [I in keyof P]: `${string}:${KindOf<P[I]>}` };

/** The raw exports of the kernel module: `name_f32` and `name_f64`, numbers in, nothing out. */
export type WasmExports = {
  [K in keyof Bindings as `${K}_f32` | `${K}_f64`]: (
    ...args: Numbers<Parameters<Bindings[K]>>
  ) => void;
};

/** One row: the AssemblyScript file of the generic kernel and its arguments, `"name:kind"`. */
export interface Signature {
  /** The file in `assembly/` (without `.ts`) that exports the generic kernel. */
  readonly file: string;
  /** The arguments, in order. */
  readonly args: readonly `${string}:${ArgKind}`[];
}

/**
 * A row for the kernel of type `F`: one `"name:kind"` per parameter of `F`,
 * each of the kind its parameter's type allows.
 *
 * @param file the AssemblyScript file of the generic kernel
 * @param args the arguments, in `F`'s order
 */
export function row<F extends (...args: never[]) => void>(
  file: string,
  ...args: Spellings<Parameters<F>>
): Signature {
  return { file, args: args as readonly `${string}:${ArgKind}`[] };
}

type B = Bindings;

// Intended repetition: kernels that share leading arguments (N, D, dout, x, hi, lo, …) each
// list them in their row, as each export takes them.
/** The table: one row per export, in the order the module exports them. */
export const SIGNATURES: { readonly [K in keyof Bindings]: Signature } = {
  packB: row<B["packB"]>("gemm", "K:int", "N:int", "b:array", "rsb:int", "csb:int", "dst:array"),
  gemm: row<B["gemm"]>(
    "gemm",
    "M:int",
    "N:int",
    "K:int",
    "a:array",
    "rsa:int",
    "csa:int",
    "packed:array",
    "c:array",
    "ldc:int",
    "bias:array?",
    "relu:bool",
  ),
  colSum: row<B["colSum"]>("gemm", "M:int", "N:int", "src:array", "dst:array"),
  relu: row<B["relu"]>("elementwise", "len:int", "x:array", "out:array"),
  finiteCheck: row<B["finiteCheck"]>("elementwise", "len:int", "x:array", "flag:array"),
  reluMask: row<B["reluMask"]>("elementwise", "len:int", "dout:array", "y:array", "dx:array"),
  axpy: row<B["axpy"]>("elementwise", "len:int", "alpha:float", "x:array", "y:array"),
  adam: row<B["adam"]>(
    "elementwise",
    "len:int",
    "w:array",
    "g:array",
    "m:array",
    "v:array",
    "lr:float",
    "b1:float",
    "omb1:float",
    "b2:float",
    "omb2:float",
    "eps:float",
    "c1:float",
    "c2:float",
  ),
  bnStats: row<B["bnStats"]>(
    "batchnorm_forward",
    "N:int",
    "D:int",
    "x:array",
    "eps:float",
    "hi:array",
    "lo:array",
    "variance:array",
    "ivar:array",
  ),
  bnNormalize: row<B["bnNormalize"]>(
    "batchnorm_forward",
    "N:int",
    "D:int",
    "x:array",
    "hi:array",
    "lo:array",
    "ivar:array",
    "gamma:array",
    "beta:array",
    "out:array",
    "relu:bool",
  ),
  bnBackwardAlt: row<B["bnBackwardAlt"]>(
    "batchnorm_backward",
    "N:int",
    "D:int",
    "dout:array",
    "x:array",
    "hi:array",
    "lo:array",
    "ivar:array",
    "gamma:array",
    "beta:array?",
    "train:bool",
    "dx:array",
    "dgamma:array",
    "dbeta:array",
    "scale:array",
  ),
  bnBackwardGraph: row<B["bnBackwardGraph"]>(
    "batchnorm_backward",
    "N:int",
    "D:int",
    "dout:array",
    "x:array",
    "hi:array",
    "lo:array",
    "ivar:array",
    "variance:array",
    "gamma:array",
    "eps:float",
    "train:bool",
    "dx:array",
    "dgamma:array",
    "dbeta:array",
    "work:array",
  ),
  lnForward: row<B["lnForward"]>(
    "layernorm",
    "N:int",
    "D:int",
    "x:array",
    "gamma:array",
    "beta:array",
    "eps:float",
    "out:array",
    "meanHi:array",
    "meanLo:array",
    "ivar:array",
    "relu:bool",
  ),
  lnBackward: row<B["lnBackward"]>(
    "layernorm",
    "N:int",
    "D:int",
    "dout:array",
    "x:array",
    "meanHi:array",
    "meanLo:array",
    "ivar:array",
    "gamma:array",
    "beta:array?",
    "dx:array",
    "dgamma:array",
    "dbeta:array",
  ),
};

/**
 * A row's arguments as `{ name, kind }`.
 *
 * @param sig a row of {@linkcode SIGNATURES}
 */
export function argsOf(sig: Signature): { name: string; kind: ArgKind }[] {
  return sig.args.map((a) => {
    const at = a.lastIndexOf(":");
    return { name: a.slice(0, at), kind: a.slice(at + 1) as ArgKind };
  });
}
