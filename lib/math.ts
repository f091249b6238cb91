/**
 * Scalar math that agrees bit for bit with the C library numpy calls.
 *
 * numpy's legacy Gaussian sampler computes `sqrt(-2 log(r²) / r²)` with C's
 * `log`, which on Linux is glibc's. V8's `Math.log` (fdlibm) and glibc's `log`
 * are both good to about half an ulp, but they are different functions: they
 * disagree in the last bit on about 3.5e-4 of the arguments the sampler feeds
 * them. Correct rounding is not the answer either, because glibc's `log` is
 * not correctly rounded: it misrounds about 8e-4 of uniform arguments in
 * (0, 1) (811 of the first million r² of `RandomState(7)`). So {@link log} here is glibc 2.36's `log` itself, re-expressed in
 * TypeScript operation by operation, with its table and polynomial
 * coefficients.
 *
 * glibc ships that `log` twice on x86-64 and picks one at load time: a
 * variant compiled for CPUs with fused multiply-add (every x86-64 CPU since
 * 2013: Intel Haswell, AMD Piledriver), and a plain SSE2 one. GCC fused many
 * `a·b + c` of the C source in the FMA variant, and each fusion changes the
 * last bit of some results. {@link log} follows the FMA variant, fusion for
 * fusion (read from the machine code of `__ieee754_log_fma` in Debian 12's
 * libm), with {@link fma} emulating the fused operations exactly.
 *
 * | function | what                                                        |
 * | -------- | ----------------------------------------------------------- |
 * | `fma`    | `a·b + c` with a single rounding (exact emulation)          |
 * | `log`    | natural log, identical to glibc 2.36's x86-64 FMA `log`     |
 *
 * @module
 */

// One float64 seen as two uint32 words, for reading and writing bit fields.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index in `U32` of the word holding sign, exponent and the top 20 significand bits. */
const HI = LITTLE_ENDIAN ? 1 : 0;
/** Index in `U32` of the word holding the low 32 significand bits. */
const LO = LITTLE_ENDIAN ? 0 : 1;

/** Veltkamp's splitter 2²⁷ + 1: `t = S·a; a_hi = t − (t − a)` keeps the top 26 bits of `a`. */
const SPLITTER = 134217729;

/**
 * Fused multiply-add: `a·b + c` rounded once, to nearest-even, as C's `fma`
 * and the x86 `vfmadd` instructions compute it. JavaScript has no fma, so it
 * is emulated exactly (Boldo & Melquiond, "Emulation of FMA and correctly
 * rounded sums: proved algorithms using rounding to odd", IEEE TC 2008):
 *
 * 1. `a·b = p + e` exactly (Dekker's product with Veltkamp splitting);
 * 2. `p + c = s + u` exactly (Knuth's two-sum);
 * 3. `v = RO(u + e)`, the sum rounded *to odd* (kept if exact, otherwise the
 *    neighbour whose last significand bit is 1);
 * 4. the result is `RN(s + v)`, which equals `RN(a·b + c)`.
 *
 * Exact for finite arguments with `|a|, |b| < 2⁹⁹⁵`, `a·b` zero or at least
 * 2⁻⁹⁶⁹ in magnitude (so that the error term `e` is a normal double) and a
 * finite result: everything {@link log} asks of it. Outside that domain it is
 * not guaranteed to be the correctly rounded `a·b + c`; when `a·b` or `c` is
 * infinite or NaN it returns the unfused `a·b + c`, which then is correct.
 *
 * @param a first factor
 * @param b second factor
 * @param c addend
 * @returns `a·b + c` with one rounding
 *
 * @example
 * ```ts
 * import { fma } from "./math.ts";
 * import { assertEquals } from "@std/assert";
 * // 0.1·10 is 1 + 2⁻⁵⁴ before rounding: the unfused sum loses the 2⁻⁵⁴, fma keeps it.
 * assertEquals(0.1 * 10 - 1, 0);
 * assertEquals(fma(0.1, 10, -1), 2 ** -54);
 * ```
 */
export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  // 1. p + e = a·b exactly.
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  // 2. s + u = p + c exactly.
  const s = p + c;
  if (e === 0) return s; // a·b was exact: one rounding already.
  if (!Number.isFinite(s)) return s; // infinity or NaN: nothing to refine.
  const sc = s - p;
  const u = (p - (s - sc)) + (c - sc);
  // 3. v = RO(u + e): two-sum, then step an even v towards the exact sum.
  let v = u + e;
  const ve = v - u;
  const w = (u - (v - ve)) + (e - ve);
  if (w !== 0) {
    F64[0] = v;
    if ((U32[LO] & 1) === 0) {
      if (w > 0 === v > 0) {
        U32[LO] += 1; // away from zero; an even word cannot carry
      } else if (U32[LO] === 0) {
        U32[LO] = 0xffffffff; // towards zero, borrowing from the high word
        U32[HI] -= 1;
      } else {
        U32[LO] -= 1;
      }
      v = F64[0];
    }
  }
  // 4. One rounding of s + v.
  return s + v;
}

/** Parses a C99 hexadecimal float such as `-0x1.7cc7f79e69000p-2` exactly. */
function hexFloat(s: string): number {
  const m = /^(-?)0x1\.([0-9a-f]{13})p([+-]\d+)$/.exec(s);
  if (m === null) throw new Error(`hexFloat: not a normal hex float: ${s}`);
  // 1 + 52 bits fit a double exactly, and so does the scaling by a power of two.
  const v = parseInt("1" + m[2], 16) * 2 ** (Number(m[3]) - 52);
  return m[1] === "-" ? -v : v;
}

// glibc's `__log_data` (sysdeps/ieee754/dbl-64/e_log_data.c, from Arm's
// optimized-routines, MIT licence), read from Debian 12's libm.so.6 (glibc 2.36)
// and written as C hex floats.

/** ln 2 split: `LN2HI` has 42 significant bits, so `k·LN2HI` is exact for |k| < 2¹¹. */
const LN2HI = hexFloat("0x1.62e42fefa3800p-1");
/** ln 2 − LN2HI. */
const LN2LO = hexFloat("0x1.ef35793c76730p-45");

/** `log1p(r) − r ≈ A0·r² + A1·r³ + … + A4·r⁶` on |r| < 1/256 (the table path). */
const [A0, A1, A2, A3, A4] = [
  "-0x1.0000000000001p-1",
  "0x1.555555551305bp-2",
  "-0x1.fffffffeb4590p-3",
  "0x1.999b324f10111p-3",
  "-0x1.55575e506c89fp-3",
].map(hexFloat);

/** `log(1 + r) ≈ r + B0·r² + B1·r³ + … + B10·r¹²` for x = 1 + r near 1. */
const [B0, B1, B2, B3, B4, B5, B6, B7, B8, B9, B10] = [
  "-0x1.0000000000000p-1",
  "0x1.5555555555577p-2",
  "-0x1.ffffffffffdcbp-3",
  "0x1.999999995dd0cp-3",
  "-0x1.55555556745a7p-3",
  "0x1.24924a344de30p-3",
  "-0x1.fffffa4423d65p-4",
  "0x1.c7184282ad6cap-4",
  "-0x1.999eb43b068ffp-4",
  "0x1.78182f7afd085p-4",
  "-0x1.5521375d145cdp-4",
].map(hexFloat);

/**
 * 128 rows `invc logc` for the subintervals of [0x1.6p-1, 0x1.6p0): `invc`
 * is close to 1/c for c near the subinterval's centre, `logc` is log(c)
 * (= −log(invc) to about 2⁻⁶⁸, see glibc's notes), flattened to
 * `[invc₀, logc₀, invc₁, logc₁, …]`.
 */
const TABLE = new Float64Array(
  [
    "0x1.734f0c3e0de9fp+0 -0x1.7cc7f79e69000p-2",
    "0x1.713786a2ce91fp+0 -0x1.76feec20d0000p-2",
    "0x1.6f26008fab5a0p+0 -0x1.713e31351e000p-2",
    "0x1.6d1a61f138c7dp+0 -0x1.6b85b38287800p-2",
    "0x1.6b1490bc5b4d1p+0 -0x1.65d5590807800p-2",
    "0x1.69147332f0cbap+0 -0x1.602d076180000p-2",
    "0x1.6719f18224223p+0 -0x1.5a8ca86909000p-2",
    "0x1.6524f99a51ed9p+0 -0x1.54f4356035000p-2",
    "0x1.63356aa8f24c4p+0 -0x1.4f637c36b4000p-2",
    "0x1.614b36b9ddc14p+0 -0x1.49da7fda85000p-2",
    "0x1.5f66452c65c4cp+0 -0x1.445923989a800p-2",
    "0x1.5d867b5912c4fp+0 -0x1.3edf439b0b800p-2",
    "0x1.5babccb5b90dep+0 -0x1.396ce448f7000p-2",
    "0x1.59d61f2d91a78p+0 -0x1.3401e17bda000p-2",
    "0x1.5805612465687p+0 -0x1.2e9e2ef468000p-2",
    "0x1.56397cee76bd3p+0 -0x1.2941b3830e000p-2",
    "0x1.54725e2a77f93p+0 -0x1.23ec58cda8800p-2",
    "0x1.52aff42064583p+0 -0x1.1e9e129279000p-2",
    "0x1.50f22dbb2bddfp+0 -0x1.1956d2b48f800p-2",
    "0x1.4f38f4734ded7p+0 -0x1.141679ab9f800p-2",
    "0x1.4d843cfde2840p+0 -0x1.0edd094ef9800p-2",
    "0x1.4bd3ec078a3c8p+0 -0x1.09aa518db1000p-2",
    "0x1.4a27fc3e0258ap+0 -0x1.047e65263b800p-2",
    "0x1.4880524d48434p+0 -0x1.feb224586f000p-3",
    "0x1.46dce1b192d0bp+0 -0x1.f474a7517b000p-3",
    "0x1.453d9d3391854p+0 -0x1.ea4443d103000p-3",
    "0x1.43a2744b4845ap+0 -0x1.e020d44e9b000p-3",
    "0x1.420b54115f8fbp+0 -0x1.d60a22977f000p-3",
    "0x1.40782da3ef4b1p+0 -0x1.cc00104959000p-3",
    "0x1.3ee8f5d57fe8fp+0 -0x1.c202956891000p-3",
    "0x1.3d5d9a00b4ce9p+0 -0x1.b81178d811000p-3",
    "0x1.3bd60c010c12bp+0 -0x1.ae2c9ccd3d000p-3",
    "0x1.3a5242b75dab8p+0 -0x1.a45402e129000p-3",
    "0x1.38d22cd9fd002p+0 -0x1.9a877681df000p-3",
    "0x1.3755bc5847a1cp+0 -0x1.90c6d69483000p-3",
    "0x1.35dce49ad36e2p+0 -0x1.87120a645c000p-3",
    "0x1.34679984dd440p+0 -0x1.7d68fb4143000p-3",
    "0x1.32f5cceffcb24p+0 -0x1.73cb83c627000p-3",
    "0x1.3187775a10d49p+0 -0x1.6a39a9b376000p-3",
    "0x1.301c8373e3990p+0 -0x1.60b3154b7a000p-3",
    "0x1.2eb4ebb95f841p+0 -0x1.5737d76243000p-3",
    "0x1.2d50a0219a9d1p+0 -0x1.4dc7b8fc23000p-3",
    "0x1.2bef9a8b7fd2ap+0 -0x1.4462c51d20000p-3",
    "0x1.2a91c7a0c1babp+0 -0x1.3b08abc830000p-3",
    "0x1.293726014b530p+0 -0x1.31b996b490000p-3",
    "0x1.27dfa5757a1f5p+0 -0x1.2875490a44000p-3",
    "0x1.268b39b1d3bbfp+0 -0x1.1f3b9f879a000p-3",
    "0x1.2539d838ff5bdp+0 -0x1.160c8252ca000p-3",
    "0x1.23eb7aac9083bp+0 -0x1.0ce7f57f72000p-3",
    "0x1.22a012ba940b6p+0 -0x1.03cdc49fea000p-3",
    "0x1.2157996cc4132p+0 -0x1.f57bdbc4b8000p-4",
    "0x1.201201dd2fc9bp+0 -0x1.e370896404000p-4",
    "0x1.1ecf4494d480bp+0 -0x1.d17983ef94000p-4",
    "0x1.1d8f5528f6569p+0 -0x1.bf9674ed8a000p-4",
    "0x1.1c52311577e7cp+0 -0x1.adc79202f6000p-4",
    "0x1.1b17c74cb26e9p+0 -0x1.9c0c3e7288000p-4",
    "0x1.19e010c2c1ab6p+0 -0x1.8a646b372c000p-4",
    "0x1.18ab07bb670bdp+0 -0x1.78d01b3ac0000p-4",
    "0x1.1778a25efbcb6p+0 -0x1.674f145380000p-4",
    "0x1.1648d354c31dap+0 -0x1.55e0e6d878000p-4",
    "0x1.151b990275fddp+0 -0x1.4485cdea1e000p-4",
    "0x1.13f0ea432d24cp+0 -0x1.333d94d6aa000p-4",
    "0x1.12c8b7210f9dap+0 -0x1.22079f8c56000p-4",
    "0x1.11a3028ecb531p+0 -0x1.10e4698622000p-4",
    "0x1.107fbda8434afp+0 -0x1.ffa6c6ad20000p-5",
    "0x1.0f5ee0f4e6bb3p+0 -0x1.dda8d4a774000p-5",
    "0x1.0e4065d2a9fcep+0 -0x1.bbcece4850000p-5",
    "0x1.0d244632ca521p+0 -0x1.9a1894012c000p-5",
    "0x1.0c0a77ce2981ap+0 -0x1.788583302c000p-5",
    "0x1.0af2f83c636d1p+0 -0x1.5715e67d68000p-5",
    "0x1.09ddb98a01339p+0 -0x1.35c8a49658000p-5",
    "0x1.08cabaf52e7dfp+0 -0x1.149e364154000p-5",
    "0x1.07b9f2f4e28fbp+0 -0x1.e72c082eb8000p-6",
    "0x1.06ab58c358f19p+0 -0x1.a55f152528000p-6",
    "0x1.059eea5ecf92cp+0 -0x1.63d62cf818000p-6",
    "0x1.04949cdd12c90p+0 -0x1.228fb8caa0000p-6",
    "0x1.038c6c6f0ada9p+0 -0x1.c317b20f90000p-7",
    "0x1.02865137932a9p+0 -0x1.419355daa0000p-7",
    "0x1.0182427ea7348p+0 -0x1.81203c2ec0000p-8",
    "0x1.008040614b195p+0 -0x1.0040979240000p-9",
    "0x1.fe01ff726fa1ap-1 0x1.feff384900000p-9",
    "0x1.fa11cc261ea74p-1 0x1.7dc41353d0000p-7",
    "0x1.f6310b081992ep-1 0x1.3cea3c4c28000p-6",
    "0x1.f25f63ceeadcdp-1 0x1.b9fc114890000p-6",
    "0x1.ee9c8039113e7p-1 0x1.1b0d8ce110000p-5",
    "0x1.eae8078cbb1abp-1 0x1.58a5bd001c000p-5",
    "0x1.e741aa29d0c9bp-1 0x1.95c8340d88000p-5",
    "0x1.e3a91830a99b5p-1 0x1.d276aef578000p-5",
    "0x1.e01e009609a56p-1 0x1.07598e598c000p-4",
    "0x1.dca01e577bb98p-1 0x1.253f5e30d2000p-4",
    "0x1.d92f20b7c9103p-1 0x1.42edd8b380000p-4",
    "0x1.d5cac66fb5ccep-1 0x1.606598757c000p-4",
    "0x1.d272caa5ede9dp-1 0x1.7da76356a0000p-4",
    "0x1.cf26e3e6b2ccdp-1 0x1.9ab434e1c6000p-4",
    "0x1.cbe6da2a77902p-1 0x1.b78c7bb0d6000p-4",
    "0x1.c8b266d37086dp-1 0x1.d431332e72000p-4",
    "0x1.c5894bd5d5804p-1 0x1.f0a3171de6000p-4",
    "0x1.c26b533bb9f8cp-1 0x1.067152b914000p-3",
    "0x1.bf583eeece73fp-1 0x1.147858292b000p-3",
    "0x1.bc4fd75db96c1p-1 0x1.2266ecdca3000p-3",
    "0x1.b951e0c864a28p-1 0x1.303d7a6c55000p-3",
    "0x1.b65e2c5ef3e2cp-1 0x1.3dfc33c331000p-3",
    "0x1.b374867c9888bp-1 0x1.4ba366b7a8000p-3",
    "0x1.b094b211d304ap-1 0x1.5933928d1f000p-3",
    "0x1.adbe885f2ef7ep-1 0x1.66acd2418f000p-3",
    "0x1.aaf1d31603da2p-1 0x1.740f8ec669000p-3",
    "0x1.a82e63fd358a7p-1 0x1.815c0f51af000p-3",
    "0x1.a5740ef09738bp-1 0x1.8e92954f68000p-3",
    "0x1.a2c2a90ab4b27p-1 0x1.9bb3602f84000p-3",
    "0x1.a01a01393f2d1p-1 0x1.a8bed1c2c0000p-3",
    "0x1.9d79f24db3c1bp-1 0x1.b5b515c01d000p-3",
    "0x1.9ae2505c7b190p-1 0x1.c2967ccbcc000p-3",
    "0x1.9852ef297ce2fp-1 0x1.cf635d5486000p-3",
    "0x1.95cbaeea44b75p-1 0x1.dc1bd3446c000p-3",
    "0x1.934c69de74838p-1 0x1.e8c01b8cfe000p-3",
    "0x1.90d4f2f6752e6p-1 0x1.f5509c0179000p-3",
    "0x1.8e6528effd79dp-1 0x1.00e6c121fb800p-2",
    "0x1.8bfce9fcc007cp-1 0x1.071b80e93d000p-2",
    "0x1.899c0dabec30ep-1 0x1.0d46b9e867000p-2",
    "0x1.87427aa2317fbp-1 0x1.13687334bd000p-2",
    "0x1.84f00acb39a08p-1 0x1.1980d67234800p-2",
    "0x1.82a49e8653e55p-1 0x1.1f8ffe0cc8000p-2",
    "0x1.8060195f40260p-1 0x1.2595fd7636800p-2",
    "0x1.7e22563e0a329p-1 0x1.2b9300914a800p-2",
    "0x1.7beb377dcb5adp-1 0x1.3187210436000p-2",
    "0x1.79baa679725c2p-1 0x1.377266dec1800p-2",
    "0x1.77907f2170657p-1 0x1.3d54ffbaf3000p-2",
    "0x1.756cadbd6130cp-1 0x1.432eee32fe000p-2",
  ].flatMap((row) => row.split(" ").map(hexFloat)),
);

/** `TABLE[2i]` split by Veltkamp into 26 + 27 bits, for Dekker's exact product z·invc. */
const INVC_HI = new Float64Array(128);
const INVC_LO = new Float64Array(128);
for (let i = 0; i < 128; i++) {
  const t = SPLITTER * TABLE[2 * i];
  INVC_HI[i] = t - (t - TABLE[2 * i]);
  INVC_LO[i] = TABLE[2 * i] - INVC_HI[i];
}

/** x in [NEAR1_LO, NEAR1_HI) takes the polynomial path around 1. */
const NEAR1_LO = 1 - 2 ** -4;
const NEAR1_HI = 1 + 0x109 * 2 ** -12;
/** High word of 0x1.6p-1 (`OFF` in glibc): start of the reduced range of z. */
const OFF_HI = 0x3fe60000;
/** Smallest normal double, 2⁻¹⁰²². */
const MIN_NORMAL = 2 ** -1022;
/**
 * Error-bound factor of the fast paths: twice a bound on how far the unfused
 * small terms can drift from glibc's fused ones (see {@link log}).
 */
const DRIFT = 2 ** -48;

/**
 * Natural logarithm, bit-identical to glibc's `log` in its x86-64 FMA build,
 * which is the `log` that numpy's C code calls on Linux machines with FMA.
 * Checked against glibc 2.36 (Debian 12); glibc has used this algorithm since
 * 2.28, but another compiler could have fused other operations. Accurate to 0.52 ulp (glibc's bound), but not
 * correctly rounded, on purpose: it reproduces glibc's own roundings.
 *
 * Two paths, as in glibc:
 * - x in [1 − 2⁻⁴, 1 + 0x1.09p-4): r = x − 1 (exact) and
 *   log x = r − r²/2 + r³·P(r), with r − r²/2 carried as hi + lo;
 * - otherwise x = 2ᵏ·z with z in [0x1.6p-1, 0x1.6p0), the top 7 bits of z's
 *   significand pick c from a 128-row table, and
 *   log x = k·ln 2 + log c + log1p(r), r = z/c − 1 = fma(z, 1/c, −1), |r| < 1/256.
 *
 * Both end in `hi + y`, with hi the big part and y = lo + (polynomial terms)
 * smaller by 2⁻⁹ or more. Emulating every fused `a·b + c` of glibc's FMA build
 * costs about ten times a `Math.log`, so each path first computes y with
 * plain, unfused operations, together with a bound `d` (twice a rigorous bound
 * on the drift from the fused y, which comes only from the roundings of the
 * small terms). If `hi + (y − d)` and `hi + (y + d)` round to the same double,
 * glibc's `hi + y` rounds to it too (rounding is monotone), and that is the
 * answer. Otherwise (under 1% of arguments in (0, 1)), y is recomputed with
 * {@link fma} exactly as glibc's machine code does. The reduction `r` of the
 * table path is always exact: `(p − 1) + e` with `p + e = z·invc` (Dekker),
 * which is what `fma(z, invc, −1)` rounds.
 *
 * Special values as C's `log` (and `Math.log`): `log(±0) = -Infinity`,
 * `log(Infinity) = Infinity`, and `NaN` for negative arguments and NaN. No
 * exception is thrown: this is a scalar kernel for inner loops. Subnormal
 * arguments are supported.
 *
 * @param x a double
 * @returns log x, as glibc's `log(x)` returns it
 *
 * @example
 * ```ts
 * import { log } from "./math.ts";
 * import { assertEquals } from "@std/assert";
 * assertEquals(log(1), 0);
 * assertEquals(log(2), Math.LN2);
 * // python3 -c "import math; print(repr(math.log(0.3)))"   (math.log is C's log)
 * assertEquals(log(0.3), -1.2039728043259361);
 * ```
 */
export function log(x: number): number {
  if (x >= NEAR1_LO && x < NEAR1_HI) {
    if (x === 1) return 0;
    const r = x - 1; // exact (Sterbenz)
    const r2 = r * r;
    const r3 = r * r2;
    // hi + lo = r − r²/2 to about 2⁻¹⁰⁴: r = rhi + rlo with rhi on 26 bits, so rhi² is exact.
    const w = r * 0x8000000; // 2²⁷·r, exact
    const rhi = r + w - w;
    const rlo = r - rhi;
    const half = rhi * rhi * B0; // −rhi²/2, exact
    const hi = r + half;
    // Unfused: P(r) = B1 + r·B2 + r²·B3 + r³·(B4 + r·B5 + r²·B6 + r³·(B7 + r·B8 + r²·B9 + r³·B10)),
    // lo = (r − hi − rhi²/2) + (−rlo/2)·(r + rhi), y = lo + r³·P(r).
    const q1 = r2 * B3 + (r * B2 + B1);
    const q2 = r2 * B6 + (r * B5 + B4);
    const q3 = r3 * B10 + (r2 * B9 + (r * B8 + B7));
    const q = (q3 * r3 + q2) * r3 + q1;
    const cross = B0 * rlo * (rhi + r);
    const lo = cross + (r - hi + half);
    const y = q * r3 + lo;
    // |y − fused y| ≤ 2⁻⁵⁰|r³| + 2⁻⁵¹(|cross| + |lo|) + 2⁻⁵¹·⁹|y| ≤ d/2.
    const d = DRIFT * (Math.abs(r3) + Math.abs(cross) + Math.abs(lo) + Math.abs(y));
    const low = hi + (y - d);
    if (low === hi + (y + d)) return low;
    return hi + near1Fused(r, rhi, rlo, r - hi + half);
  }

  let top: number; // high word of x, the exponent lowered by 52 for subnormals
  if (x >= MIN_NORMAL && x < Infinity) {
    F64[0] = x;
    top = U32[HI];
  } else {
    if (x === 0) return -Infinity; // log(±0), a pole
    if (x === Infinity) return x;
    if (!(x > 0)) return NaN; // negative or NaN
    F64[0] = x * 0x10000000000000; // subnormal: scale by 2⁵² to a normal number ...
    top = U32[HI] - (52 << 20); // ... and take 52 back off its exponent
  }
  // x = 2ᵏ·z with z in [0x1.6p-1, 0x1.6p0): tmp = top − OFF, k = tmp >> 20 (arithmetic),
  // i = the 7 significand bits of tmp below the exponent.
  const tmp = top - OFF_HI;
  const i = (tmp >> 13) & 127;
  const k = tmp >> 20;
  U32[HI] = top - (k << 20);
  const z = F64[0];
  const invc = TABLE[2 * i];
  const logc = TABLE[2 * i + 1];

  // r = fma(z, invc, −1) = z/c − 1, |r| < 1/256: z·invc = p + e exactly (Dekker);
  // p is within 1/256 of 1, so p − 1 is exact (Sterbenz) and (p − 1) + e rounds once.
  const p = z * invc;
  const t = SPLITTER * z;
  const zh = t - (t - z);
  const zl = z - zh;
  const ih = INVC_HI[i];
  const il = INVC_LO[i];
  const r = p - 1 + (zh * ih - p + zh * il + zl * ih + zl * il);
  // hi + lo = r + log c + k·ln 2
  const w = k * LN2HI + logc; // fused in glibc, but k·LN2HI is exact: one rounding either way
  const hi = w + r;
  const err = w - hi + r; // the rounding error of hi
  // log x = hi + y, y = lo + (log1p(r) − r) = lo + A0·r² + r³·(A1 + r·A2 + r²·(A3 + r·A4)).
  const r2 = r * r;
  const r3 = r * r2;
  const kl = k * LN2LO;
  const lo = kl + err;
  const a0 = r2 * A0;
  const s = a0 + lo;
  const y = r3 * ((r * A4 + A3) * r2 + (r * A2 + A1)) + s;
  // |y − fused y| ≤ 2⁻⁵⁰(|r³| + |k·LN2LO| + |lo|) + 2⁻⁵¹(|A0·r²| + |s|) + 2⁻⁵¹·⁹|y| ≤ d/2.
  const d = DRIFT *
    (Math.abs(r3) + Math.abs(kl) + Math.abs(lo) + Math.abs(a0) + Math.abs(s) + Math.abs(y));
  const low = hi + (y - d);
  if (low === hi + (y + d)) return low;
  return hi + tableFused(k, r, err);
}

/**
 * glibc's y on the path near 1, fused as its FMA build: `fma(q, r³, lo)` with
 * `lo = fma(−rlo/2, r + rhi, lo0)` and the polynomial q in fused Horner form.
 */
function near1Fused(r: number, rhi: number, rlo: number, lo0: number): number {
  const r2 = r * r;
  const r3 = r * r2;
  const q1 = fma(r2, B3, fma(r, B2, B1));
  const q2 = fma(r2, B6, fma(r, B5, B4));
  const q3 = fma(r3, B10, fma(r2, B9, fma(r, B8, B7)));
  const q = fma(fma(q3, r3, q2), r3, q1);
  const lo = fma(B0 * rlo, rhi + r, lo0);
  return fma(q, r3, lo);
}

/**
 * glibc's y on the table path, fused as its FMA build:
 * `fma(r³, p, fma(r², A0, lo))`, `lo = fma(k, LN2LO, err)`,
 * `p = fma(fma(r, A4, A3), r², fma(r, A2, A1))`.
 */
function tableFused(k: number, r: number, err: number): number {
  const r2 = r * r;
  const r3 = r * r2;
  const lo = fma(k, LN2LO, err);
  const p = fma(fma(r, A4, A3), r2, fma(r, A2, A1));
  return fma(r3, p, fma(r2, A0, lo));
}
