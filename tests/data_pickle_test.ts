// The closed pickle reader behind the CIFAR-10 python batches: it reads the
// opcodes Python 2's cPickle and Python 3's protocol 2 write for a dict of a
// uint8 numpy array and a list of ints, and refuses everything else at the
// byte where it appears — it never calls anything.

import { describe, it } from "node:test";
import { assert, assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { BnlabError } from "../lib/errors.ts";
import { DataFormatError } from "../lib/data/errors.ts";
import { PyDict, PyList, PyNDArray, PyTuple, unpickle } from "../lib/data/pickle.ts";
import { FIXTURES, image, latin1 } from "./fixtures/make.ts";

const read = (path: string) => Deno.readFileSync(new URL(path, FIXTURES));
const parse = (bytes: Uint8Array) => unpickle("test", "x.pkl", bytes);
const u32 = (n: number) => String.fromCharCode(n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24);

/** Protocol-2 bytes of `numpy.ndarray` (shape (1, 4), uint8 1 2 3 4) as Python 2 writes it. */
const PY2_ARRAY = "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R" +
  "(K\x01K\x01K\x04\x86cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R" +
  "(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x04\x01\x02\x03\x04tb";

/** Asserts parsing `bytes` throws a DataFormatError at `offset` whose message includes `text`. */
function assertRefused(bytes: Uint8Array, offset: number | null, text: string): void {
  const e = assertThrows(() => parse(bytes), DataFormatError);
  assertInstanceOf(e, BnlabError);
  assertEquals(e.offset, offset, e.message);
  assert(e.message.includes(text), `expected "${text}" in: ${e.message}`);
  assert(e.message.startsWith("test: x.pkl"), e.message);
}

describe("unpickle reads what cPickle and Python 3 write for a CIFAR-10 batch", () => {
  it("reads the Python 2 fixture: str keys, a (3, 3072) uint8 array, a list of ints", () => {
    const d = parse(read("cifar-10-batches-py-py2/data_batch_1"));
    assertInstanceOf(d, PyDict);
    assertEquals([...d.entries.keys()], ["data", "labels", "batch_label", "filenames"]);
    const data = d.entries.get("data");
    assertInstanceOf(data, PyNDArray);
    assertEquals(data.shape, [3, 3072]);
    assertEquals(data.data.subarray(3072, 6144), image(1));
    const labels = d.entries.get("labels");
    assertInstanceOf(labels, PyList);
    assertEquals(labels.items, [1, 4, 7]);
    // Python 2 str values stay bytes
    assertEquals(d.entries.get("batch_label"), new TextEncoder().encode("training batch 1 of 5"));
  });

  it("reads the Python 3 fixture to the same array and labels", () => {
    const a = parse(read("cifar-10-batches-py-py2/test_batch")) as PyDict;
    const b = parse(read("cifar-10-batches-py-py3/test_batch")) as PyDict;
    assertEquals(
      (b.entries.get("data") as PyNDArray).data,
      (a.entries.get("data") as PyNDArray).data,
    );
    assertEquals((b.entries.get("labels") as PyList).items, [1, 4, 7]);
    assertEquals(b.entries.get("batch_label"), "testing batch 1 of 1");
  });

  it("reads protocol 3's SHORT_BINBYTES for the raw bytes", () => {
    const v = parse(latin1("\x80\x03" + PY2_ARRAY.replace("\x89U\x04", "\x89C\x04") + "."));
    assertInstanceOf(v, PyNDArray);
    assertEquals(Array.from(v.data), [1, 2, 3, 4]);
  });

  it("reads BINGET of memoised objects and LONG_BINPUT indices", () => {
    const v = parse(latin1("\x80\x02]r" + u32(300) + "(K\x05j" + u32(300) + "e."));
    assertInstanceOf(v, PyList);
    assertEquals(v.items.length, 2);
    assertEquals(v.items[0], 5);
    assertEquals(v.items[1], v); // the list itself, fetched from the memo
  });

  it("keeps tuples apart from lists and reads NONE, NEWTRUE, BININT2 and negative BININT", () => {
    const v = parse(latin1("\x80\x02(N\x88M\x10'J\xfe\xff\xff\xfft."));
    assertInstanceOf(v, PyTuple);
    assertEquals(v.items, [null, true, 10000, -2]);
  });
});

describe("unpickle refuses anything outside the allow-list, naming the byte", () => {
  it("a global outside the allow-list, before anything could run", () => {
    assertRefused(latin1("\x80\x02cos\nsystem\n."), 2, 'refusing global "os.system"');
    assertRefused(latin1("\x80\x02cbuiltins\neval\n."), 2, 'refusing global "builtins.eval"');
    assertRefused(latin1("\x80\x02cnumpy\nload\n."), 2, 'refusing global "numpy.load"');
  });

  it("opcodes these files never use: INST, OBJ, NEWOBJ, STACK_GLOBAL, FRAME, PERSID, LONG1", () => {
    for (
      const [op, name] of [
        ["i", "0x69"],
        ["o", "0x6f"],
        ["\x81", "0x81"],
        ["\x93", "0x93"],
        ["\x95", "0x95"],
        ["P", "0x50"],
        ["\x8a", "0x8a"],
      ]
    ) {
      assertRefused(latin1("\x80\x02" + op), 2, `refusing opcode ${name}`);
    }
  });

  it("protocols other than 2 and 3, and a pickle without PROTO", () => {
    assertRefused(latin1("\x80\x04}."), 0, "expected pickle protocol 2 (or 3) but got 4");
    assertRefused(latin1("(dp0\n."), 0, "expected a protocol-2 pickle starting with PROTO");
    assertRefused(new Uint8Array(0), 0, "but got an empty file");
  });

  it("REDUCE of anything but the allow-listed callables, or with other arguments", () => {
    assertRefused(
      latin1("\x80\x02cnumpy\nndarray\n)R."),
      18,
      "expected _reconstruct, numpy.dtype or _codecs.encode",
    );
    assertRefused(
      latin1("\x80\x02cnumpy\ndtype\nU\x02f8K\x00K\x01\x87R."),
      24,
      "expected numpy.dtype('u1', False, True)",
    );
    assertRefused(
      latin1("\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x04\x00\x00\x00utf8\x86R."),
      34,
      "expected _codecs.encode(str, 'latin1')",
    );
  });

  it("an array whose bytes do not fill its shape, or in Fortran order", () => {
    assertRefused(
      latin1("\x80\x02" + PY2_ARRAY.replace("K\x04\x86", "K\x05\x86") + "."),
      123,
      "expected 5 bytes for an array of shape (1, 5) but got 4",
    );
    assertRefused(
      latin1("\x80\x02" + PY2_ARRAY.replace("\x89U", "\x88U") + "."),
      123,
      "expected the C-ordered array state",
    );
  });

  it("a dtype with another byte order", () => {
    assertRefused(
      latin1("\x80\x02" + PY2_ARRAY.replace("U\x01|", "U\x01<") + "."),
      114,
      "expected the uint8 dtype state (3, '|', None, None, None, -1, -1, 0) but got (int 3, b'<', None",
    );
  });

  it("truncation anywhere, since the pickle then has no STOP", () => {
    const full = read("cifar-10-batches-py-py2/data_batch_5");
    for (const n of [1, 2, 6, 60, 150, 3000, full.length - 1]) {
      const e = assertThrows(() => parse(full.subarray(0, n)), DataFormatError);
      assert(e.message.includes(`the file ends at byte ${n} (truncated?)`), e.message);
    }
  });

  it("bytes after STOP, a stack left over at STOP, and memo or MARK misuse", () => {
    assertRefused(
      latin1("\x80\x02N.N"),
      4,
      "expected the file to end after STOP but 1 byte(s) follow",
    );
    assertRefused(
      latin1("\x80\x02NN."),
      4,
      "expected an empty stack at STOP but 1 value(s) remain",
    );
    assertRefused(latin1("\x80\x02h\x07."), 2, "expected memo index 7 to have been stored");
    assertRefused(latin1("\x80\x02Nt."), 3, "expected a MARK before this opcode");
    assertRefused(
      latin1("\x80\x02(\x85."),
      3,
      "expected 1 tuple elements on the stack but found none",
    );
    assertRefused(latin1("\x80\x02X\x02\x00\x00\x00\xc3(."), 2, "the bytes are not valid UTF-8");
    assertRefused(latin1("\x80\x02T\xff\xff\xff\xff."), 2, "expected a non-negative length");
  });
});

describe("unpickle handles the lengths a file declares with loops, not argument spreads", () => {
  const MANY = 300_000;

  it("reads an APPENDS of 300,000 items, which a spread into push would overflow", () => {
    const v = parse(latin1("\x80\x02](" + "K\x07".repeat(MANY) + "e."));
    assertInstanceOf(v, PyList);
    assertEquals(v.items.length, MANY);
    assertEquals([v.items[0], v.items[MANY - 1]], [7, 7]);
    // each item keeps the offset of its own BININT1: 4 + 2 i
    assertEquals([v.offsets[0], v.offsets[MANY - 1]], [4, 4 + 2 * (MANY - 1)]);
  });

  it("reads a SETITEMS of 300,000 key/value pairs", () => {
    const pairs: string[] = [];
    for (let i = 0; i < MANY; i++) {
      const key = `k${i}`;
      pairs.push(`X${u32(key.length)}${key}M${String.fromCharCode(i & 255, (i >> 8) & 255)}`);
    }
    const v = parse(latin1("\x80\x02}(" + pairs.join("") + "u."));
    assertInstanceOf(v, PyDict);
    assertEquals(v.entries.size, MANY);
    assertEquals(v.entries.get("k0"), 0);
    assertEquals(v.entries.get(`k${MANY - 1}`), (MANY - 1) & 0xffff);
  });
});
