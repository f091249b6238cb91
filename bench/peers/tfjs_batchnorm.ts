/**
 * tfjs peer for `bench/compare.ts`: TensorFlow.js 4.22 on its WebAssembly
 * backend (`@tensorflow/tfjs-backend-wasm`, SIMD, one thread) — the
 * JavaScript library a user would otherwise pick. Batchnorm in train mode is
 * `tf.moments` then `tf.batchNorm`; the backward pass is `tf.grads` of it with
 * respect to x, γ and β. float32 only (tfjs has no float64).
 *
 * Run: `deno run -A bench/peers/tfjs_batchnorm.ts N D` — prints one JSON
 * object of medians in nanoseconds, each including `dataSync()` (the result
 * read back, as a caller needs it).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** Median nanoseconds of `fn` over 25 timed batches, after warming up. */
function medianNs(fn: () => void): number {
  let number = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < number; i++) fn();
    if (performance.now() - t0 > 20) break;
    number *= 2;
  }
  const times: number[] = [];
  for (let r = 0; r < 25; r++) {
    const t0 = performance.now();
    for (let i = 0; i < number; i++) fn();
    times.push((performance.now() - t0) / number);
  }
  times.sort((a, b) => a - b);
  return times[12] * 1e6;
}

if (import.meta.main) {
  const [n, d] = Deno.args.map(Number);
  setWasmPaths(new URL("./", import.meta.resolve("@tensorflow/tfjs-backend-wasm")).href);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  await tf.setBackend("wasm");
  const x = tf.add(tf.mul(tf.randomNormal([n, d], 0, 1, "float32", 231), 5), 12);
  const gamma = tf.randomNormal([d], 0, 1, "float32", 1);
  const beta = tf.randomNormal([d], 0, 1, "float32", 2);
  const dout = tf.randomNormal([n, d], 0, 1, "float32", 3);
  const bn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const m = tf.moments(x, 0);
    return tf.batchNorm(x, m.mean, m.variance, b, g, 1e-5);
  };
  const grads = tf.grads(bn);
  const forward = medianNs(() => tf.tidy(() => void bn(x, gamma, beta).dataSync()));
  const both = medianNs(() => tf.tidy(() => void grads([x, gamma, beta], dout)[0].dataSync()));
  console.log(JSON.stringify({
    forward,
    backward: Math.max(0, both - forward),
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"),
  }));
}
