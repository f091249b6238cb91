/**
 * TEMPORARY SHIM — delete this file once `mod.ts` exports `residentZeros` and
 * `freeResident`, and `affineBackward` takes preallocated `{ dx, dw, db }`
 * (the lib/ restructuring, issue 17), and import those from `../mod.ts`.
 *
 * Until then it hands out plain arrays (`zeros`) and `affineBackward`
 * allocates its outputs, so the "preallocated" figures include the copies
 * into WebAssembly memory; with the library's names it passes them through.
 *
 * @module
 */
import * as bnlab from "../mod.ts";
import type { AffineCache, DType, Tensor } from "../mod.ts";

/** What the lib/ restructuring adds to `mod.ts`. */
interface Resident {
  residentZeros(shape: readonly number[], dtype?: DType): Tensor;
  freeResident(t: Tensor): void;
}

const lib = bnlab as typeof bnlab & Partial<Resident>;

/** A zero tensor in WebAssembly memory (the library's), or a plain one (the shim's). */
export const residentZeros: Resident["residentZeros"] = lib.residentZeros ??
  ((shape, dtype = "float64") => bnlab.zeros([...shape], dtype));

/** Gives a resident tensor's memory back (the library's), or nothing (the shim's). */
export const freeResident: Resident["freeResident"] = lib.freeResident ?? (() => {});

/** `affineBackward` with preallocated outputs (ignored until the library takes them). */
export const affineBackward = bnlab.affineBackward as (
  dout: Tensor,
  cache: AffineCache,
  outputs?: { dx: Tensor; dw: Tensor; db: Tensor },
) => { dx: Tensor; dw: Tensor; db: Tensor };
