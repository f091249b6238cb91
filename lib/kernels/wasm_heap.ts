/**
 * The shared WebAssembly memory and its first-fit allocator — the lowest
 * layer of `memory.ts`, which counts every allocation, checks its size and
 * decides what lives here (resident arrays, pools, held arrays).
 *
 * @module
 */

import { ValueError } from "../errors.ts";

/**
 * The most bytes the WebAssembly memory may hold: 4 GiB, what one memory can
 * address (65,536 pages of 64 KiB). Everything resident — every net's
 * parameter copies, gradients and workspaces, every solver's minibatch and
 * optimizer state, held arrays and a call's temporaries — shares it. A net or
 * solver that would not fit is refused before anything is allocated
 * (`checkResidentFits` in `memory.ts`); an allocation past it, with a `ValueError`
 * — never by the operating system. (Measured on a 2-vCPU, 24 GB machine: a
 * synchronous loop of undisposed notebook nets reaches it at the 3,219th net,
 * the process at 4.1 GiB.)
 */
export const MAX_MEMORY_BYTES = 2 ** 32;

/** Bytes of one WebAssembly page. */
export const PAGE = 65536;
/** Blocks start on 64-byte boundaries (a cache line, four v128 lanes). */
const ALIGN = 64;
/** Pages of the memory at start: 1 MiB. Page 0 stays unused, so no block starts at 0. */
const INITIAL_PAGES = 16;
const MAX_PAGES = 65536;

/** A size in bytes for messages: `1.50 MiB`. */
export function fmtBytes(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toPrecision(3)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toPrecision(3)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toPrecision(3)} KiB`;
  return `${b} bytes`;
}

/** A block of the WebAssembly memory: byte offset and size. */
interface Block {
  ptr: number;
  size: number;
}

/**
 * First-fit allocator over the shared WebAssembly memory, with free blocks
 * kept sorted by address and merged with their neighbours when freed.
 */
class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** Every `SharedArrayBuffer` the memory has shown: views made before a growth keep the old one. */
  readonly #buffers = new Set<ArrayBufferLike>();
  readonly #free: Block[] = [];
  readonly #used = new Map<number, number>();
  #inUse = 0;
  /** The bytes the memory may grow to (lowered only by specs, {@linkcode setMemoryLimit}). */
  limit = MAX_MEMORY_BYTES;
  #top: number;

  constructor() {
    this.memory = new WebAssembly.Memory({
      initial: INITIAL_PAGES,
      maximum: MAX_PAGES,
      shared: true,
    });
    this.#buffers.add(this.memory.buffer);
    this.#top = PAGE; // page 0 is never handed out
    this.#free.push({ ptr: this.#top, size: INITIAL_PAGES * PAGE - this.#top });
  }

  /** Bytes the memory holds now. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes in live blocks. */
  get bytesInUse(): number {
    return this.#inUse;
  }

  owns(buffer: ArrayBufferLike): boolean {
    return this.#buffers.has(buffer);
  }

  alloc(bytes: number, fn: string): number {
    const size = blockSize(bytes);
    let i = this.#free.findIndex((b) => b.size >= size);
    if (i < 0) i = this.#grow(size, fn);
    const b = this.#free[i];
    const ptr = b.ptr;
    if (b.size === size) this.#free.splice(i, 1);
    else {
      b.ptr += size;
      b.size -= size;
    }
    this.#used.set(ptr, size);
    this.#inUse += size;
    return ptr;
  }

  free(ptr: number): void {
    const size = this.#used.get(ptr);
    if (size === undefined) return;
    this.#used.delete(ptr);
    this.#inUse -= size;
    const free = this.#free;
    let i = 0;
    while (i < free.length && free[i].ptr < ptr) i++;
    free.splice(i, 0, { ptr, size });
    // Merge with the next block, then with the previous one.
    if (i + 1 < free.length && ptr + size === free[i + 1].ptr) {
      free[i].size += free[i + 1].size;
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1].ptr + free[i - 1].size === ptr) {
      free[i - 1].size += free[i].size;
      free.splice(i, 1);
    }
  }

  /** Grows the memory so a free block of `size` bytes exists; returns its index. */
  #grow(size: number, fn: string): number {
    const end = this.memory.buffer.byteLength;
    const last = this.#free.at(-1);
    const tail = last && last.ptr + last.size === end ? last.size : 0;
    const need = size - tail;
    // Grow by at least half the current size, so growth happens O(log n) times.
    const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(end / PAGE / 2));
    const have = end / PAGE;
    const grant = Math.min(pages, Math.floor(this.limit / PAGE) - have);
    if (grant < Math.ceil(need / PAGE)) {
      throw new ValueError(
        fn,
        `the WebAssembly memory cannot hold ${fmtBytes(size)} more: it holds ${
          fmtBytes(end)
        } of at most ${fmtBytes(this.limit)}, ${
          fmtBytes(this.#inUse)
        } in live blocks (${MEMORY_HINT})`,
      );
    }
    this.memory.grow(grant);
    this.#buffers.add(this.memory.buffer);
    if (tail > 0) last!.size += grant * PAGE;
    else this.#free.push({ ptr: end, size: grant * PAGE });
    return this.#free.length - 1;
  }

  /** Grows the memory by `pages` now, whatever is free — for the spec that forces growth. */
  growBy(pages: number): void {
    const end = this.memory.buffer.byteLength;
    this.memory.grow(pages);
    this.#buffers.add(this.memory.buffer);
    const last = this.#free.at(-1);
    if (last && last.ptr + last.size === end) last.size += pages * PAGE;
    else this.#free.push({ ptr: end, size: pages * PAGE });
  }
}

/** Bytes of the block an allocation of `bytes` takes: a multiple of {@linkcode ALIGN}, at least one. */
export function blockSize(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

/** What to do when the WebAssembly memory is full, for messages. */
export const MEMORY_HINT =
  "nets, solvers and held arrays share it: dispose() the nets and solvers you no longer need";

function sharedMemoryWorks(): boolean {
  try {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    return typeof SharedArrayBuffer !== "undefined" && m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** The shared WebAssembly memory and its allocator, or `null` where shared memory is missing. */
export const wasmHeap: WasmHeap | null = sharedMemoryWorks() ? new WasmHeap() : null;
