// SIMD helpers generic over the element type T (f32 or f64), so each kernel
// is written once: a v128 holds LANES<T>() = 16 / sizeof<T>() elements — four
// f32 or two f64. Every branch on sizeof<T>() is resolved at compile time.
//
// Pointers are byte offsets into the shared memory; dimensions are element
// counts. Nothing here allocates or keeps state.

/** Elements per v128: 4 for f32, 2 for f64. */
// @ts-ignore: decorator
@inline export function lanes<T>(): i32 {
  return 16 / sizeof<T>();
}

/** Byte offset of element i. */
// @ts-ignore: decorator
@inline export function at<T>(p: usize, i: i32): usize {
  return p + ((<usize>i) << (sizeof<T>() == 4 ? 2 : 3));
}

// @ts-ignore: decorator
@inline export function vzero(): v128 {
  return i32x4.splat(0);
}

// @ts-ignore: decorator
@inline export function vsplat<T>(x: T): v128 {
  if (sizeof<T>() == 4) return f32x4.splat(<f32>x);
  return f64x2.splat(<f64>x);
}

/** Loads one element and repeats it in every lane. */
// @ts-ignore: decorator
@inline export function vbroadcast<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return v128.load32_splat(p);
  return v128.load64_splat(p);
}

// @ts-ignore: decorator
@inline export function vadd<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.add(a, b);
  return f64x2.add(a, b);
}

// @ts-ignore: decorator
@inline export function vsub<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.sub(a, b);
  return f64x2.sub(a, b);
}

// @ts-ignore: decorator
@inline export function vmul<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.mul(a, b);
  return f64x2.mul(a, b);
}

// @ts-ignore: decorator
@inline export function vdiv<T>(a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.div(a, b);
  return f64x2.div(a, b);
}

// @ts-ignore: decorator
@inline export function vsqrt<T>(a: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.sqrt(a);
  return f64x2.sqrt(a);
}

/** Lane-wise max(0, a) with NaN kept, as `Math.max(0, a)`. */
// @ts-ignore: decorator
@inline export function vmax0<T>(a: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.max(vzero(), a);
  return f64x2.max(vzero(), a);
}

/**
 * Lane-wise `a < 0 ? 0 : a`, the ReLU, as numpy's `np.maximum(0, a)`: NaN
 * stays NaN (a NaN is never laundered into 0) and −0 stays −0. One
 * instruction on x86 (a pseudo-maximum with a first).
 */
// @ts-ignore: decorator
@inline export function vrelu<T>(a: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.pmax(a, vzero());
  return f64x2.pmax(a, vzero());
}

/** Lane-wise `m > 0 ? a : 0`: a masked by the sign of m (NaN in m gives 0). */
// @ts-ignore: decorator
@inline export function vwherePositive<T>(m: v128, a: v128): v128 {
  if (sizeof<T>() == 4) return v128.and(a, f32x4.gt(m, vzero()));
  return v128.and(a, f64x2.gt(m, vzero()));
}

/**
 * `a · b + c`. With relaxed SIMD (when the build enables it) a fused
 * multiply-add, one rounding; without, a multiply then an add. Only the
 * matrix products use it: every other kernel rounds each operation as the
 * TypeScript reference does.
 */
// @ts-ignore: decorator
@inline export function vmadd<T>(a: v128, b: v128, c: v128): v128 {
  if (sizeof<T>() == 4) {
    if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
    return f32x4.add(f32x4.mul(a, b), c);
  }
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** Sum of the lanes, in lane order. */
// @ts-ignore: decorator
@inline export function vhsum<T>(a: v128): T {
  if (sizeof<T>() == 4) {
    return <T>(f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) +
      f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
  }
  return <T>(f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1));
}

/**
 * Loads the first `n` elements at p into a vector, the other lanes zero; all
 * lanes when n ≥ LANES. Lets a kernel handle a row's last, partial vector with
 * the same code as the full ones.
 */
// @ts-ignore: decorator
@inline export function vloadn<T>(p: usize, n: i32): v128 {
  if (n >= lanes<T>()) return v128.load(p);
  let v = vzero();
  if (sizeof<T>() == 4) {
    v = f32x4.replace_lane(v, 0, load<f32>(p));
    if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
    if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  } else {
    v = f64x2.replace_lane(v, 0, load<f64>(p));
  }
  return v;
}

/** Stores the first `n` lanes of v at p (all when n ≥ LANES). */
// @ts-ignore: decorator
@inline export function vstoren<T>(p: usize, v: v128, n: i32): void {
  if (n >= lanes<T>()) {
    v128.store(p, v);
    return;
  }
  if (sizeof<T>() == 4) {
    store<f32>(p, f32x4.extract_lane(v, 0));
    if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
    if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  } else {
    store<f64>(p, f64x2.extract_lane(v, 0));
  }
}
