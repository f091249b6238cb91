/**
 * The values the CIFAR-10 pickle reader (`pickle.ts`) produces — Python
 * tuples, lists, dicts, the allow-listed globals, numpy dtypes and arrays —
 * and how messages name them.
 *
 * @module
 */

/** A Python tuple (kept distinct from lists, whose layout rules differ). */
export class PyTuple {
  /** @param items the elements, in order */
  constructor(readonly items: PyValue[]) {}
}

/** A Python list, with the byte offset of the opcode that pushed each element. */
export class PyList {
  /** @param offset byte offset of the EMPTY_LIST that created it */
  constructor(readonly offset: number) {}
  /** The elements, in order. */
  readonly items: PyValue[] = [];
  /** `offsets[i]` is the byte offset of the opcode that produced `items[i]`. */
  readonly offsets: number[] = [];
}

/** A Python dict with `str` keys (Python 2 byte-string keys are decoded as latin-1). */
export class PyDict {
  /** @param offset byte offset of the EMPTY_DICT that created it */
  constructor(readonly offset: number) {}
  /** The entries, in insertion order. */
  readonly entries: Map<string, PyValue> = new Map();
  /** Byte offset of the opcode that produced each value. */
  readonly offsets: Map<string, number> = new Map();
}

/** A reference to one of the allow-listed globals (never resolved to code). */
export class PyGlobal {
  /**
   * @param kind which allow-listed global this is
   * @param module module name as written in the file
   * @param name attribute name as written in the file
   */
  constructor(
    readonly kind: "reconstruct" | "ndarray" | "dtype" | "encode",
    readonly module: string,
    readonly name: string,
  ) {}
}

/** `numpy.dtype("u1")`, the only dtype the CIFAR-10 batches use. */
export class PyDType {
  /** Whether BUILD has set its state `(3, "|", None, None, None, -1, -1, 0)`. */
  built = false;
  /** @param name the dtype string, always `"u1"` */
  constructor(readonly name: string) {}
}

/** A uint8 numpy array rebuilt from `_reconstruct` + BUILD. */
export class PyNDArray {
  /** Dimensions, set by BUILD. */
  shape: number[] = [];
  /** Row-major (C order) bytes, `prod(shape)` of them, set by BUILD. */
  data: Uint8Array = new Uint8Array(0);
  /** Whether BUILD has filled shape and data. */
  built = false;
  /** @param offset byte offset of the REDUCE that created it */
  constructor(readonly offset: number) {}
}

/** Every value the reader can produce. */
export type PyValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | PyTuple
  | PyList
  | PyDict
  | PyGlobal
  | PyDType
  | PyNDArray;

const latin1 = new TextDecoder("latin1");

/**
 * Short printable form of a value for error messages: `int 3`, `str "data"`,
 * `b'\\x00'`, `tuple of length 2`, `ndarray`.
 *
 * @param v the value, or undefined for none
 */
export function describe(v: PyValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return `int ${v}`;
  if (typeof v === "string") {
    return `str ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  }
  if (v instanceof Uint8Array) {
    if (v.length > 40) return `bytes of length ${v.length}`;
    return `b'${
      Array.from(v, (b) =>
        b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`).join(
          "",
        )
    }'`;
  }
  if (v instanceof PyTuple) return `tuple of length ${v.items.length}`;
  if (v instanceof PyList) return `list of length ${v.items.length}`;
  if (v instanceof PyDict) return `dict of ${v.entries.size} entries`;
  if (v instanceof PyGlobal) return `global ${v.module}.${v.name}`;
  if (v instanceof PyDType) return `dtype ${v.name}`;
  return `ndarray`;
}

/**
 * A Python text value: `str`, or Python 2 `str` / Python 3 `bytes` read as latin-1.
 *
 * @param v the value
 * @returns the text, or undefined when `v` is no text (or bytes longer than 256)
 */
export function asText(v: PyValue): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return v.length <= 256 ? latin1.decode(v) : undefined;
  return undefined;
}

/**
 * Whether `v` is the integer or bool `n` (numpy writes `0`/`1` or `False`/`True`).
 *
 * @param v the value
 * @param n 0 or 1
 */
export function isIntOrBool(v: PyValue, n: 0 | 1): boolean {
  return v === n || v === (n === 1);
}
