/**
 * A small, closed pickle reader for the CIFAR-10 "python version" batches.
 *
 * The official batches were written by Python 2's `cPickle.dump(d, f, 2)`:
 * protocol 2, raw bytes as Python 2 strings, each numpy array rebuilt through
 * `numpy.core.multiarray._reconstruct`. This reader is a stack machine that
 * accepts exactly the opcodes those files use, plus the ones Python 3 emits for
 * the same objects at protocols 2 and 3 (`BINUNICODE`, `_codecs.encode(s,
 * "latin1")` for bytes, `SHORT_BINBYTES` / `BINBYTES`, `numpy._core` module
 * names). It never calls anything: `REDUCE` and `BUILD` are only understood
 * for the allow-listed globals of `pickle_numpy.ts`, and build plain data (the
 * values are in `pickle_values.ts`).
 *
 * Anything else — another opcode, another global, a layout that differs from
 * what numpy writes — is refused with a {@link DataFormatError} naming the
 * byte offset of the opcode and what was expected there.
 *
 * @module
 */

import { DataFormatError } from "./errors.ts";
import { build, GLOBALS, reduce } from "./pickle_numpy.ts";
import {
  asText,
  describe,
  PyDict,
  PyGlobal,
  PyList,
  PyTuple,
  type PyValue,
} from "./pickle_values.ts";

export {
  PyDict,
  PyDType,
  PyGlobal,
  PyList,
  PyNDArray,
  PyTuple,
  type PyValue,
} from "./pickle_values.ts";

/** Opcode bytes, named as in CPython's `pickletools`. */
const OP = {
  PROTO: 0x80,
  STOP: 0x2e, // .
  MARK: 0x28, // (
  EMPTY_DICT: 0x7d, // }
  EMPTY_LIST: 0x5d, // ]
  EMPTY_TUPLE: 0x29, // )
  TUPLE: 0x74, // t
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  SHORT_BINSTRING: 0x55, // U
  BINSTRING: 0x54, // T
  BINUNICODE: 0x58, // X
  SHORT_BINBYTES: 0x43, // C
  BINBYTES: 0x42, // B
  GLOBAL: 0x63, // c
  REDUCE: 0x52, // R
  BUILD: 0x62, // b
  NONE: 0x4e, // N
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  APPEND: 0x61, // a
  APPENDS: 0x65, // e
  SETITEM: 0x73, // s
  SETITEMS: 0x75, // u
} as const;

const OPNAME = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));

/** Longest `module\nname\n` line GLOBAL may carry before we call it corrupt. */
const MAX_GLOBAL_LINE = 256;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

/**
 * Parses a pickle made of the allow-listed opcodes and globals.
 *
 * @param fn name of the public function reading, for error messages
 * @param file path of the file, for error messages
 * @param bytes the whole file
 * @returns the unpickled value (for a CIFAR-10 batch, a {@link PyDict})
 * @throws {DataFormatError} on any opcode, global or layout outside the allow-list,
 *   on truncation and on bytes after STOP, naming the offset
 */
export function unpickle(fn: string, file: string, bytes: Uint8Array): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const offs: number[] = []; // offs[i]: offset of the opcode that pushed stack[i]
  const marks: number[] = []; // stack heights at each MARK
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let at = 0; // offset of the opcode being executed

  const fail = (message: string, offset = at): never => {
    throw new DataFormatError(fn, file, offset, message);
  };
  const need = (n: number, what: string): void => {
    if (pos + n > bytes.length) {
      fail(
        `expected ${n} byte(s) of ${what} but the file ends at byte ${bytes.length} ` +
          `(truncated?)`,
        pos,
      );
    }
  };
  const u8 = (what: string): number => {
    need(1, what);
    return bytes[pos++];
  };
  const u16 = (what: string): number => {
    need(2, what);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const i32 = (what: string): number => {
    need(4, what);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u32 = (what: string): number => {
    need(4, what);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const take = (n: number, what: string): Uint8Array => {
    if (n < 0) fail(`expected a non-negative length for ${what} but got ${n}`);
    need(n, what);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const push = (v: PyValue): void => {
    stack.push(v);
    offs.push(at);
  };
  const pop = (what: string): PyValue => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail(`expected ${what} on the stack but found none`);
    offs.pop();
    return stack.pop()!;
  };
  const top = (what: string): PyValue => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) fail(`expected ${what} on the stack but found none`);
    return stack[stack.length - 1];
  };
  /** Pops everything above the last MARK, returning values and their offsets. */
  const popMark = (): [PyValue[], number[]] => {
    if (!marks.length) fail("expected a MARK before this opcode but there is none");
    const h = marks.pop()!;
    return [stack.splice(h), offs.splice(h)];
  };
  const setItems = (d: PyValue, kv: PyValue[], ko: number[]): void => {
    if (!(d instanceof PyDict)) {
      return fail(`expected a dict to set items on but got ${describe(d)}`);
    }
    if (kv.length % 2) fail(`expected key/value pairs but got ${kv.length} values`);
    for (let i = 0; i < kv.length; i += 2) {
      const key = asText(kv[i]);
      if (key === undefined) fail(`expected a str or bytes dict key but got ${describe(kv[i])}`);
      d.entries.set(key!, kv[i + 1]);
      d.offsets.set(key!, ko[i + 1]);
    }
  };
  const appendItems = (l: PyValue, vs: PyValue[], vo: number[]): void => {
    if (!(l instanceof PyList)) return fail(`expected a list to append to but got ${describe(l)}`);
    // a loop, not push(...vs): APPENDS may carry more items than a call takes arguments
    for (let i = 0; i < vs.length; i++) {
      l.items.push(vs[i]);
      l.offsets.push(vo[i]);
    }
  };

  if (bytes.length === 0 || bytes[0] !== OP.PROTO) {
    fail(
      `expected a protocol-2 pickle starting with PROTO (0x80) but got ` +
        (bytes.length ? `0x${bytes[0].toString(16).padStart(2, "0")}` : "an empty file"),
      0,
    );
  }

  for (;;) {
    at = pos;
    const op = u8("the next opcode (the pickle has no STOP)");
    switch (op) {
      case OP.PROTO: {
        const p = u8("the protocol number");
        if (at !== 0) fail("expected PROTO only at byte 0");
        if (p !== 2 && p !== 3) fail(`expected pickle protocol 2 (or 3) but got ${p}`);
        break;
      }
      case OP.STOP: {
        const v = pop("the pickled value");
        if (stack.length || marks.length) {
          fail(`expected an empty stack at STOP but ${stack.length} value(s) remain`);
        }
        if (pos !== bytes.length) {
          fail(`expected the file to end after STOP but ${bytes.length - pos} byte(s) follow`, pos);
        }
        return v;
      }
      case OP.MARK:
        marks.push(stack.length);
        break;
      case OP.EMPTY_DICT:
        push(new PyDict(at));
        break;
      case OP.EMPTY_LIST:
        push(new PyList(at));
        break;
      case OP.EMPTY_TUPLE:
        push(new PyTuple([]));
        break;
      case OP.TUPLE:
        push(new PyTuple(popMark()[0]));
        break;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        const items: PyValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop(`${n} tuple elements`));
        push(new PyTuple(items));
        break;
      }
      case OP.BINPUT:
        memo.set(u8("the memo index"), top("a value to memoize"));
        break;
      case OP.LONG_BINPUT:
        memo.set(u32("the memo index"), top("a value to memoize"));
        break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const i = op === OP.BINGET ? u8("the memo index") : u32("the memo index");
        if (!memo.has(i)) {
          fail(`expected memo index ${i} to have been stored by a PUT but it was not`);
        }
        push(memo.get(i)!);
        break;
      }
      case OP.SHORT_BINSTRING:
        push(take(u8("the string length"), "string data"));
        break;
      case OP.BINSTRING:
        push(take(i32("the string length"), "string data"));
        break;
      case OP.SHORT_BINBYTES:
        push(take(u8("the bytes length"), "bytes data"));
        break;
      case OP.BINBYTES:
        push(take(u32("the bytes length"), "bytes data"));
        break;
      case OP.BINUNICODE: {
        const raw = take(u32("the str length"), "UTF-8 str data");
        let s = "";
        try {
          s = utf8.decode(raw);
        } catch {
          fail("expected UTF-8 text in BINUNICODE but the bytes are not valid UTF-8");
        }
        push(s);
        break;
      }
      case OP.GLOBAL: {
        const end = bytes.subarray(pos, pos + 2 * MAX_GLOBAL_LINE).indexOf(0x0a);
        const mid = end < 0 ? -1 : bytes.subarray(pos + end + 1, pos + 2 * MAX_GLOBAL_LINE)
          .indexOf(0x0a);
        if (end < 0 || mid < 0) {
          fail(
            pos + 2 * MAX_GLOBAL_LINE >= bytes.length
              ? `expected GLOBAL's 'module\\nname\\n' but the file ends at byte ${bytes.length} ` +
                `(truncated?)`
              : `expected GLOBAL's 'module\\nname\\n' within ${2 * MAX_GLOBAL_LINE} bytes`,
          );
        }
        const module = latin1.decode(bytes.subarray(pos, pos + end));
        const name = latin1.decode(bytes.subarray(pos + end + 1, pos + end + 1 + mid));
        pos += end + mid + 2;
        const kind = GLOBALS.get(`${module} ${name}`);
        if (!kind) {
          fail(
            `refusing global ${JSON.stringify(`${module}.${name}`)}: expected one of ` +
              [...GLOBALS.keys()].map((k) => k.replace(" ", ".")).join(", "),
          );
        }
        push(new PyGlobal(kind!, module, name));
        break;
      }
      case OP.REDUCE: {
        const args = pop("REDUCE's argument tuple");
        const callee = pop("REDUCE's callable");
        push(reduce(callee, args, at, fail));
        break;
      }
      case OP.BUILD: {
        const state = pop("BUILD's state");
        build(top("an object to BUILD"), state, fail);
        break;
      }
      case OP.NONE:
        push(null);
        break;
      case OP.NEWTRUE:
        push(true);
        break;
      case OP.NEWFALSE:
        push(false);
        break;
      case OP.BININT:
        push(i32("a 4-byte int"));
        break;
      case OP.BININT1:
        push(u8("a 1-byte int"));
        break;
      case OP.BININT2:
        push(u16("a 2-byte int"));
        break;
      case OP.APPEND: {
        const vo = offs[offs.length - 1];
        const v = pop("a value to APPEND");
        appendItems(top("a list to APPEND to"), [v], [vo]);
        break;
      }
      case OP.APPENDS: {
        const [vs, vo] = popMark();
        appendItems(top("a list for APPENDS"), vs, vo);
        break;
      }
      case OP.SETITEM: {
        const vo = offs[offs.length - 1];
        const v = pop("a value to SETITEM");
        const k = pop("a key to SETITEM");
        setItems(top("a dict for SETITEM"), [k, v], [vo, vo]);
        break;
      }
      case OP.SETITEMS: {
        const [kv, ko] = popMark();
        setItems(top("a dict for SETITEMS"), kv, ko);
        break;
      }
      default:
        fail(
          `refusing opcode 0x${op.toString(16).padStart(2, "0")}` +
            (OPNAME.has(op) ? ` (${OPNAME.get(op)})` : "") +
            ": expected one of the protocol-2 opcodes numpy array pickles use",
        );
    }
  }
}
