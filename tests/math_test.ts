/**
 * What `randn` stands on: the natural log of C's libm, bit for bit.
 *
 * numpy's Gaussian sampler calls C's `log`. Expected values are printed by
 * Python's `math.log`, which calls that same C function (glibc 2.36 on x86-64
 * with FMA), and are compared exactly. `np.log` is not the reference: on
 * machines with AVX-512, numpy 2.4 evaluates it with its own vector code,
 * which differs from C's `log` in the last bit for about 3.5e-3 of uniform
 * arguments in (0, 1).
 */
import { describe, it } from "node:test";
import { assertEquals, assertNotEquals } from "@std/assert";
import { fma, log } from "../lib/math.ts";
import { RandomState } from "../lib/random.ts";

/** FNV-1a (32-bit) over the little-endian bytes of the doubles: any changed bit changes it. */
function fnv1a(data: Float64Array): string {
  let h = 0x811c9dc5;
  for (const byte of new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

/** `[x, log x]` pairs → `[x, ours]`, for one `assertEquals` that names the failing x. */
const ours = (cases: readonly (readonly [number, number])[]) => cases.map(([x]) => [x, log(x)]);

describe("log: C's natural logarithm, bit for bit", () => {
  it("is 0 at 1 and ln 2 at 2", () => {
    assertEquals(Object.is(log(1), 0), true, `log(1) = ${log(1)}, not +0`);
    assertEquals(log(2), Math.LN2);
  });

  it("gives k·ln 2 at 2ᵏ over the whole exponent range, subnormals included", () => {
    // python3 -c "import math; print([(k, math.log(2.0**k)) for k in (-1074, -1073, -1022, -1000, -100, -1, 1, 10, 100, 1023)])"
    const cases: [number, number][] = [
      [-1074, -744.4400719213812],
      [-1073, -743.7469247408213],
      [-1022, -708.3964185322641],
      [-1000, -693.1471805599454],
      [-100, -69.31471805599453],
      [-1, -0.6931471805599453],
      [1, 0.6931471805599453],
      [10, 6.931471805599453],
      [100, 69.31471805599453],
      [1023, 709.0895657128241],
    ];
    assertEquals(cases.map(([k]) => [k, log(2 ** k)]), cases);
  });

  it("matches C's log at the extremes and at subnormals that are not powers of two", () => {
    // python3 -c "import math; print([(x, math.log(x)) for x in (1.7976931348623157e308, 5e-324, 1e-310, 3e-320, 2.2250738585072014e-308, 0.5, 10.0, 1e-300)])"
    const cases: [number, number][] = [
      [1.7976931348623157e308, 709.782712893384],
      [5e-324, -744.4400719213812],
      [1e-310, -713.8013788281542],
      [3e-320, -735.7286286023058],
      [2.2250738585072014e-308, -708.3964185322641],
      [0.5, -0.6931471805599453],
      [10.0, 2.302585092994046],
      [1e-300, -690.7755278982137],
    ];
    assertEquals(ours(cases), cases);
  });

  it("matches C's log next to 1 and on both edges of the path around 1", () => {
    // python3 -c "import math, numpy as np; print([(repr(float(x)), math.log(x)) for x in [np.nextafter(1, 0), np.nextafter(1, 2), 0.9375, np.nextafter(0.9375, 0), 1.064697265625, np.nextafter(1.064697265625, 0), 1 + 1e-10, 0.999]])"
    // [1 − 2⁻⁴, 1 + 0x1.09p-4) = [0.9375, 1.064697265625) takes the path around 1.
    const cases: [number, number][] = [
      [0.9999999999999999, -1.1102230246251565e-16],
      [1.0000000000000002, 2.2204460492503128e-16],
      [0.9375, -0.06453852113757118],
      [0.9374999999999999, -0.06453852113757129],
      [1.064697265625, 0.06269050112342274],
      [1.0646972656249998, 0.06269050112342253],
      [1.0000000001, 1.000000082690371e-10],
      [0.999, -0.0010005003335835344],
    ];
    assertEquals(ours(cases), cases);
  });

  it("matches C's log where V8's Math.log is one ulp away", () => {
    // python3 -c "import math; print([(x, math.log(x)) for x in (0.7644585834875283, 0.897159212285077, 0.8056087658494621, 0.2946038273496603)])"
    const cases: [number, number][] = [
      [0.7644585834875283, -0.2685874297207697],
      [0.897159212285077, -0.10852193848730833],
      [0.8056087658494621, -0.2161570564931629],
      [0.2946038273496603, -1.2221237833555127],
    ];
    assertEquals(ours(cases), cases);
    // The reason math.ts exists (V8 12's fdlibm log, as shipped with Deno 2.9):
    for (const [x, y] of cases) assertNotEquals(Math.log(x), y, `Math.log(${x}) now agrees`);
  });

  it("reproduces glibc's roundings where they are not the correctly rounded ones", () => {
    // python3 -c "import math; from decimal import Decimal, getcontext; getcontext().prec = 60; print([(repr(x), math.log(x), float(Decimal(x).ln())) for x in map(float.fromhex, ('0x1.47b091b840fadp-1', '0x1.cea05cfe420c6p-1', '0x1.4d9c8847276d7p-1'))])"
    // Correctly rounded: -0.446257429280842, -0.1014047671375639, -0.42834761930378346.
    const cases: [number, number][] = [
      [0.6400189912242148, -0.44625742928084206],
      [0.9035672245381867, -0.10140476713756388],
      [0.6515848719461371, -0.4283476193037834],
    ];
    assertEquals(ours(cases), cases);
  });

  it("falls back to the fused computation where the unfused one would round otherwise", () => {
    // python3 -c "import math; print([(x, math.log(x)) for x in (0.6444514218982444, 0.9474116747814774, 0.9391088888488844)])"
    // Unfused, y would give -0.4393558327589754, -0.05402156559873014, -0.06282384393164055:
    // the first takes the table path, the other two the path around 1.
    const cases: [number, number][] = [
      [0.6444514218982444, -0.43935583275897544],
      [0.9474116747814774, -0.054021565598730135],
      [0.9391088888488844, -0.06282384393164053],
    ];
    assertEquals(ours(cases), cases);
  });

  it("hashes to C's logs over 100,000 uniform arguments, 100,000 near 1 and 100,000 random bit patterns", () => {
    // python3 - <<'EOF'
    // import math, numpy as np
    // def fnv(a):
    //     h = 0x811c9dc5
    //     for c in np.asarray(a, dtype=np.float64).tobytes(): h = ((h ^ c) * 0x01000193) & 0xffffffff
    //     return hex(h)
    // u = np.random.RandomState(3).rand(100000)
    // print("uniform", fnv([math.log(v) for v in u]))
    // x = 1 + (np.random.RandomState(4).rand(100000) - 0.5) / 8
    // print("near1", fnv([math.log(v) for v in x]))
    // rs = np.random.RandomState(5)
    // xs = []
    // for _ in range(100000):
    //     hi = int(rs.randint(0, 0x7ff00000)); lo = int(rs.randint(0, 2**32, dtype=np.uint32))
    //     xs.append(np.uint64((hi << 32) | lo).view(np.float64))
    // print("bits", fnv([math.log(v) if v > 0 else -math.inf for v in xs]))
    // EOF
    const n = 100000;
    const uniform = new RandomState(3).rand(n).data.map(log);
    const near1 = new RandomState(4).rand(n).data.map((u) => log(1 + (u - 0.5) / 8));
    const rs = new RandomState(5);
    const words = new Uint32Array(2 * n); // little-endian: low word first
    for (let i = 0; i < n; i++) {
      words[2 * i + 1] = rs.randint(0, 0x7ff00000).data[0];
      words[2 * i] = rs.nextUint32();
    }
    const bits = new Float64Array(words.buffer).map(log); // every positive finite double, 64 subnormal
    assertEquals(
      [fnv1a(uniform), fnv1a(near1), fnv1a(bits)],
      ["34efece4", "c61c2ddd", "1bfe1167"],
    );
  });

  it("returns -Infinity at ±0, Infinity at Infinity and NaN below 0, as C does, without throwing", () => {
    assertEquals([log(0), log(-0), log(Infinity)], [-Infinity, -Infinity, Infinity]);
    assertEquals([log(-1), log(-5e-324), log(-Infinity), log(NaN)], [NaN, NaN, NaN, NaN]);
  });
});

describe("fma: a·b + c rounded once", () => {
  it("keeps the low bits of the product that a plain a·b + c loses", () => {
    // python3 -c "from fractions import Fraction as F; print([float(F(a) * F(b) + F(c)) for a, b, c in ((0.1, 10, -1), (1/3, 3, -1), (-0.7, 0.3, 0.21), (1e200, 1e-200, -1))])"
    assertEquals(0.1 * 10 - 1, 0);
    assertEquals(fma(0.1, 10, -1), 2 ** -54);
    assertEquals(fma(1 / 3, 3, -1), -5.551115123125783e-17);
    assertEquals(fma(-0.7, 0.3, 0.21), 1.3322676295501878e-17);
    assertEquals(fma(1e200, 1e-200, -1), -4.816661538840688e-17);
  });

  it("breaks a tie of p + c by the product's rounding error (rounding to odd)", () => {
    // a·b = 2⁻⁵³ − 2⁻¹¹³ rounds to p = 2⁻⁵³, and c + p = 1 + 2⁻⁵² + 2⁻⁵³ is a tie: rounding it to
    // even gives 1 + 2⁻⁵¹, but the exact sum lies just below the tie, so fma gives 1 + 2⁻⁵².
    // python3 -c "from fractions import Fraction as F; print(float(F(1 + 2**-30) * F(2**-53 * (1 - 2**-30)) + F(1 + 2**-52)) == 1 + 2**-52)"
    const [a, b, c] = [1 + 2 ** -30, 2 ** -53 * (1 - 2 ** -30), 1 + 2 ** -52];
    assertEquals(a * b + c, 1 + 2 ** -51);
    assertEquals(fma(a, b, c), 1 + 2 ** -52);
  });

  it("is the plain sum when the product is exact, and propagates infinities and NaN", () => {
    assertEquals(fma(3, 5, 7), 22);
    assertEquals(fma(2 ** -60, 3, 1), 1);
    assertEquals([fma(Infinity, 2, 1), fma(2, 3, -Infinity), fma(NaN, 1, 1)], [
      Infinity,
      -Infinity,
      NaN,
    ]);
  });
});
