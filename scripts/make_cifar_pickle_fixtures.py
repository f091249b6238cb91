#!/usr/bin/env python3
"""Writes the two tiny CIFAR-10 "python version" fixture folders the tests read.

    python3 scripts/make_cifar_pickle_fixtures.py

tests/fixtures/cifar-10-batches-py-py2/
    The layout of the official files, written by Python 2's
    ``cPickle.dump(d, f, 2)``. Python 2 cannot run here, so the bytes are
    written by hand, opcode by opcode, as cPickle emits them: PROTO 2, memo
    indices from 1, only shared objects memoised, Python 2 ``str`` as
    SHORT_BINSTRING / BINSTRING, the array as
    ``numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')`` + BUILD
    ``(1, shape, dtype('u1', 0, 1), False, raw bytes)``, the dtype's BUILD state
    ``(3, '|', None, None, None, -1, -1, 0)``, labels by EMPTY_LIST + APPENDS
    (APPEND for a single item) of BININT1.

tests/fixtures/cifar-10-batches-py-py3/
    The same dicts pickled by this Python 3 and numpy at protocol 2 (BINUNICODE
    keys, ``_codecs.encode(str, 'latin1')`` for bytes, ``numpy._core`` names).

Each folder holds data_batch_1 … data_batch_5 (3, 2, 2, 2, 1 images) and
test_batch (3 images). Image n (0..9 training, 100..102 test) has the pixel
``(n * 37 + c * 101 + y * 7 + x * 3) % 256`` at channel c, row y, column x
and the label ``(3 * n + 1) % 10``, so a test can tell the pixel order, the
channel planes and the batch order apart. The script checks that both
folders load with Python 3's own ``pickle.load(f, encoding="latin1")``.
Development-time only: nothing in bnlab runs Python.
"""

import os
import pickle
import pickletools
import struct
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
TRAIN_SIZES = [3, 2, 2, 2, 1]
TEST_FIRST, TEST_SIZE = 100, 3


def image(n):
    """(3072,) uint8: the R, G, B 32x32 planes of image n, row-major."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    return ((n * 37 + c * 101 + y * 7 + x * 3) % 256).astype(np.uint8).reshape(3072)


def label(n):
    return (3 * n + 1) % 10


def batches():
    """(file name, batch label, image indices) for the six files."""
    out, n = [], 0
    for i, k in enumerate(TRAIN_SIZES, start=1):
        out.append((f"data_batch_{i}", f"training batch {i} of 5", list(range(n, n + k))))
        n += k
    out.append(("test_batch", "testing batch 1 of 1", list(range(TEST_FIRST, TEST_FIRST + TEST_SIZE))))
    return out


def batch_dict(batch_label, idx):
    return {
        "data": np.stack([image(n) for n in idx]),
        "labels": [label(n) for n in idx],
        "batch_label": batch_label,
        "filenames": [f"image_{n:04d}.png" for n in idx],
    }


class Py2Pickler:
    """Emits protocol-2 opcodes the way Python 2's cPickle does."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")  # PROTO 2
        self.memo = 0  # cPickle numbers memo entries from 1

    def put(self):
        self.memo += 1
        if self.memo < 256:
            self.out += b"q" + bytes([self.memo])  # BINPUT
        else:
            self.out += b"r" + struct.pack("<I", self.memo)  # LONG_BINPUT

    def string(self, s, memo=True):
        if len(s) < 256:
            self.out += b"U" + bytes([len(s)]) + s  # SHORT_BINSTRING
        else:
            self.out += b"T" + struct.pack("<i", len(s)) + s  # BINSTRING
        if memo:  # cPickle memoises only objects referenced elsewhere too
            self.put()

    def int(self, v):
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])  # BININT1
        elif 0 <= v < 65536:
            self.out += b"M" + struct.pack("<H", v)  # BININT2
        else:
            self.out += b"J" + struct.pack("<i", v)  # BININT

    def glob(self, module, name):
        self.out += b"c" + module + b"\n" + name + b"\n"  # GLOBAL
        self.put()

    def op(self, code):
        self.out += code

    def ndarray_u1(self, arr):
        """numpy.ndarray.__reduce__ of a C-ordered uint8 array."""
        self.glob(b"numpy.core.multiarray", b"_reconstruct")
        self.glob(b"numpy", b"ndarray")
        self.int(0)
        self.op(b"\x85")  # TUPLE1: (0,)
        self.string(b"b")
        self.op(b"\x87")  # TUPLE3: (ndarray, (0,), 'b')
        self.op(b"R")  # REDUCE
        self.put()
        self.op(b"(")  # MARK: the state tuple
        self.int(1)  # version
        for d in arr.shape:
            self.int(d)
        self.op(b"\x86" if arr.ndim == 2 else b"\x85")  # TUPLE2 shape
        self.glob(b"numpy", b"dtype")
        self.string(b"u1")
        self.int(0)
        self.int(1)
        self.op(b"\x87")  # TUPLE3: ('u1', 0, 1)
        self.op(b"R")  # REDUCE -> dtype('uint8')
        self.put()
        self.op(b"(")  # MARK: dtype state (3, '|', None, None, None, -1, -1, 0)
        self.int(3)
        self.string(b"|")
        self.op(b"NNN")  # NONE x3
        self.op(b"J" + struct.pack("<i", -1))
        self.op(b"J" + struct.pack("<i", -1))
        self.int(0)
        self.op(b"t")  # TUPLE
        self.op(b"b")  # BUILD the dtype
        self.op(b"\x89")  # NEWFALSE: is_fortran
        self.string(arr.tobytes(), memo=False)  # the raw bytes, a temporary
        self.op(b"t")  # TUPLE: (1, shape, dtype, False, raw)
        self.op(b"b")  # BUILD the array

    def items(self, values, emit):
        """A list's items as cPickle batches them: APPEND for one, MARK … APPENDS for more."""
        if len(values) == 1:
            emit(values[0])
            self.op(b"a")  # APPEND
        elif values:
            self.op(b"(")
            for v in values:
                emit(v)
            self.op(b"e")  # APPENDS

    def batch(self, d):
        self.op(b"}")  # EMPTY_DICT
        self.put()
        self.op(b"(")  # MARK
        self.string(b"data")
        self.ndarray_u1(d["data"])
        self.string(b"labels")
        self.op(b"]")  # EMPTY_LIST
        self.put()
        self.items(d["labels"], self.int)
        self.string(b"batch_label")
        self.string(d["batch_label"].encode())
        self.string(b"filenames")
        self.op(b"]")
        self.put()
        self.items(d["filenames"], lambda s: self.string(s.encode()))
        self.op(b"u")  # SETITEMS
        self.op(b".")  # STOP
        return bytes(self.out)


def check(path, d):
    with open(path, "rb") as f:
        got = pickle.load(f, encoding="latin1")
    assert got["data"].dtype == np.uint8 and got["data"].flags.c_contiguous
    assert np.array_equal(got["data"], d["data"]), path
    assert got["labels"] == d["labels"], path


def main():
    for variant in ("py2", "py3"):
        folder = os.path.join(ROOT, f"cifar-10-batches-py-{variant}")
        os.makedirs(folder, exist_ok=True)
        for name, batch_label, idx in batches():
            d = batch_dict(batch_label, idx)
            raw = Py2Pickler().batch(d) if variant == "py2" else pickle.dumps(d, protocol=2)
            path = os.path.join(folder, name)
            with open(path, "wb") as f:
                f.write(raw)
            check(path, d)
            print(f"{path}: {len(raw)} bytes, {len(idx)} images, loads in Python 3")
    if "--dis" in sys.argv:
        for variant in ("py2", "py3"):
            with open(os.path.join(ROOT, f"cifar-10-batches-py-{variant}", "data_batch_5"), "rb") as f:
                pickletools.dis(f.read(), annotate=0)


if __name__ == "__main__":
    main()
