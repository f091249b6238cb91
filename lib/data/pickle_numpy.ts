/**
 * What the CIFAR-10 pickle reader (`pickle.ts`) makes of the globals it
 * allows: numpy arrays and dtypes rebuilt as plain data, and Python 3's
 * `_codecs.encode` for bytes — never a call.
 *
 * | global                              | what REDUCE / BUILD make of it         |
 * | ----------------------------------- | -------------------------------------- |
 * | `numpy.core.multiarray._reconstruct` | an empty {@link PyNDArray}, filled by BUILD |
 * | `numpy._core.multiarray._reconstruct` | the same (numpy ≥ 2 module name)    |
 * | `numpy.ndarray`                     | only as `_reconstruct`'s first argument |
 * | `numpy.dtype`                       | a {@link PyDType}, `u1` (uint8) only   |
 * | `_codecs.encode`                    | `encode(s, "latin1")` → bytes          |
 *
 * Any other layout than numpy writes is refused through the reader's `fail`,
 * a `DataFormatError` naming the byte offset of the opcode.
 *
 * @module
 */

import {
  asText,
  describe,
  isIntOrBool,
  PyDType,
  PyGlobal,
  PyNDArray,
  PyTuple,
  type PyValue,
} from "./pickle_values.ts";

/** Throws the reader's `DataFormatError` with a message (at the offset of the opcode being run). */
export type Fail = (message: string) => never;

/** The allow-list: `module name` → what it stands for. */
export const GLOBALS: ReadonlyMap<string, PyGlobal["kind"]> = new Map([
  ["numpy.core.multiarray _reconstruct", "reconstruct"],
  ["numpy._core.multiarray _reconstruct", "reconstruct"],
  ["numpy ndarray", "ndarray"],
  ["numpy dtype", "dtype"],
  ["_codecs encode", "encode"],
]);

/**
 * REDUCE for the allow-listed callables: builds data, calls nothing.
 *
 * @param callee the callable on the stack
 * @param args its argument tuple
 * @param at byte offset of the REDUCE opcode (an array made here keeps it)
 * @param fail throws the reader's DataFormatError at that offset
 * @returns an empty {@link PyNDArray}, a {@link PyDType} or the bytes `encode` makes
 */
export function reduce(callee: PyValue, args: PyValue, at: number, fail: Fail): PyValue {
  if (!(callee instanceof PyGlobal) || callee.kind === "ndarray") {
    return fail(
      `expected _reconstruct, numpy.dtype or _codecs.encode to REDUCE but got ${describe(callee)}`,
    );
  }
  if (!(args instanceof PyTuple)) {
    return fail(`expected REDUCE's arguments as a tuple but got ${describe(args)}`);
  }
  const a = args.items;
  switch (callee.kind) {
    case "reconstruct":
      // numpy: _reconstruct(ndarray, (0,), b"b")
      if (
        a.length !== 3 || !(a[0] instanceof PyGlobal) || a[0].kind !== "ndarray" ||
        !(a[1] instanceof PyTuple) || a[1].items.length !== 1 || a[1].items[0] !== 0 ||
        asText(a[2]) !== "b"
      ) {
        return fail(
          `expected _reconstruct(numpy.ndarray, (0,), b'b') but got arguments ` +
            `(${a.map(describe).join(", ")})`,
        );
      }
      return new PyNDArray(at);
    case "dtype": {
      // numpy: dtype("u1", 0, 1) (Python 2 era) or dtype("u1", False, True)
      const name = a.length === 3 ? asText(a[0]) : undefined;
      if (name !== "u1" || !isIntOrBool(a[1], 0) || !isIntOrBool(a[2], 1)) {
        return fail(
          `expected numpy.dtype('u1', False, True) (uint8 pixels) but got arguments ` +
            `(${a.map(describe).join(", ")})`,
        );
      }
      return new PyDType(name);
    }
    case "encode": {
      // Python 3 writes bytes at protocol 2 as _codecs.encode(str, "latin1")
      if (a.length !== 2 || typeof a[0] !== "string" || a[1] !== "latin1") {
        return fail(
          `expected _codecs.encode(str, 'latin1') but got arguments (${
            a.map(describe).join(", ")
          })`,
        );
      }
      const s = a[0];
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) fail(`expected latin-1 characters (code ≤ 255) but character ${i} is ${c}`);
        out[i] = c;
      }
      return out;
    }
  }
}

/**
 * BUILD for the two objects numpy restores state on: a dtype's state, and an
 * array's shape, dtype and bytes.
 *
 * @param obj the object on the stack
 * @param state its state
 * @param fail throws the reader's DataFormatError at the BUILD opcode
 */
export function build(obj: PyValue, state: PyValue, fail: Fail): void {
  const s = state instanceof PyTuple ? state.items : undefined;
  if (obj instanceof PyDType) {
    // numpy: (3, "|", None, None, None, -1, -1, 0) for a plain uint8
    const ok = !obj.built && s?.length === 8 && s[0] === 3 && asText(s[1]) === "|" &&
      s[2] === null && s[3] === null && s[4] === null && s[5] === -1 && s[6] === -1 &&
      s[7] === 0;
    if (!ok) {
      fail(
        `expected the uint8 dtype state (3, '|', None, None, None, -1, -1, 0) but got ` +
          (s ? `(${s.map(describe).join(", ")})` : describe(state)),
      );
    }
    obj.built = true;
  } else if (obj instanceof PyNDArray) {
    // numpy: (1, shape, dtype, is_fortran, raw bytes)
    if (
      obj.built || !s || s.length !== 5 || s[0] !== 1 || !(s[1] instanceof PyTuple) ||
      !(s[2] instanceof PyDType) || !s[2].built || !isIntOrBool(s[3], 0) ||
      !(s[4] instanceof Uint8Array)
    ) {
      return fail(
        `expected the C-ordered array state (1, shape, dtype('u1'), False, bytes) but got ` +
          (s ? `(${s.map(describe).join(", ")})` : describe(state)),
      );
    }
    const shape: number[] = [];
    let n = 1;
    for (const d of s[1].items) {
      if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
        return fail(`expected the array shape as non-negative ints but got ${describe(d)}`);
      }
      shape.push(d);
      n *= d;
    }
    if (s[4].length !== n) {
      fail(
        `expected ${n} bytes for an array of shape (${shape.join(", ")}) but got ${s[4].length}`,
      );
    }
    obj.shape = shape;
    obj.data = s[4];
    obj.built = true;
  } else {
    fail(`expected a numpy array or dtype to BUILD but got ${describe(obj)}`);
  }
}
