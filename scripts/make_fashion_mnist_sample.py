#!/usr/bin/env python3
"""Cuts the Fashion-MNIST sample shipped in data/fashion-mnist-sample/.

    apt-get install -y dataset-fashion-mnist
    python3 scripts/make_fashion_mnist_sample.py [SOURCE_DIR]

SOURCE_DIR defaults to /usr/share/datasets/fashion-mnist, where the Debian
package puts the original gzipped IDX files. The sample keeps the first 2,000
training images and the first 1,000 test images with their labels, in the
same format under the same four file names: the IDX header is copied with
only the count changed, the data bytes are the originals' leading bytes. The
gzip streams are written without a file name or time stamp (mtime 0), so the
output depends only on the input. The script re-reads what it wrote and
checks it against the source, then prints the SHA-256 of every file for the
README. Development-time only: nothing in bnlab runs Python.
"""

import gzip
import hashlib
import os
import struct
import sys

SOURCE = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fashion-mnist-sample")
KEEP = {"train": 2000, "t10k": 1000}


def cut(raw, count):
    """The first `count` items of an IDX file (magic 2051 images or 2049 labels)."""
    magic, n = struct.unpack(">II", raw[:8])
    dims = magic & 0xFF
    sizes = struct.unpack(f">{dims}I", raw[4 : 4 + 4 * dims])
    item = 1
    for s in sizes[1:]:
        item *= s
    header = 4 + 4 * dims
    assert magic in (2049, 2051) and n >= count and len(raw) == header + n * item
    return struct.pack(">II", magic, count) + raw[8:header] + raw[header : header + count * item]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    for split, count in KEEP.items():
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte.gz"
            src = os.path.join(SOURCE, name)
            with gzip.open(src, "rb") as f:
                raw = f.read()
            sample = cut(raw, count)
            dst = os.path.join(OUT, name)
            with open(dst, "wb") as f:
                f.write(gzip.compress(sample, compresslevel=9, mtime=0))
            with gzip.open(dst, "rb") as f:
                back = f.read()
            assert back == sample and back[8:] == raw[8 : len(back)], name
            print(f"{name}: {count} items, {os.path.getsize(dst)} bytes")
            print(f"  source sha256 {sha256(src)}")
            print(f"  sample sha256 {sha256(dst)}")


if __name__ == "__main__":
    main()
