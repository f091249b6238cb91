/**
 * The update rules the notebook's Solver uses (`cs231n/optim.py`): SGD,
 * SGD + momentum, RMSProp and Adam, checked on the FullyConnectedNets
 * notebook's cases (w, dw and the state from `np.linspace`, N, D = 4, 5).
 *
 * Expected values: `python3 scripts/reference/optim_reference.py`, which runs
 * these cases through `scripts/reference/cs231n_ref.py` (numpy 2.4). The
 * first digits agree with the expected arrays the FullyConnectedNets notebook
 * prints (e.g. Adam's next_w row 1: -0.40094747, -0.34836187, -0.29577703).
 */
import { describe, it } from "node:test";
import {
  assertAlmostEquals,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import {
  adam,
  DTypeError,
  OPTIM_DEFAULTS,
  type OptimConfig,
  relError,
  rmsprop,
  sgd,
  sgdMomentum,
  ShapeError,
  type Tensor,
  ValueError,
} from "../mod.ts";

/** `np.linspace(a, b, num=n)` in float64, as numpy computes it: `a + i·step`, the last point exactly b. */
function linspace(a: number, b: number, n: number, shape = [4, 5]): Tensor<Float64Array> {
  const step = (b - a) / (n - 1);
  const data = Float64Array.from({ length: n }, (_, i) => a + i * step);
  data[n - 1] = b;
  return { shape, data };
}

const N = 4, D = 5;
const w = () => linspace(-0.4, 0.6, N * D);
const dw = () => linspace(-0.6, 0.4, N * D);

/** Asserts the notebook's relative error between two arrays is below tol, printing it. */
function assertClose(what: string, actual: Tensor, expected: number[], tol = 1e-14): void {
  const e = relError(actual, expected);
  console.log(`  ${what} error: ${e.toExponential(2)}`);
  assertLess(e, tol, `${what}: relative error ${e}`);
}

describe("SGD", () => {
  it("steps against the gradient with learning rate 1e-2 by default", () => {
    // python3 scripts/reference/optim_reference.py → sgd_next_w (w − 1e-2 · dw)
    const expected = [
      -0.394,
      -0.3418947368421053,
      -0.28978947368421054,
      -0.23768421052631583,
      -0.1855789473684211,
      -0.13347368421052636,
      -0.08136842105263162,
      -0.029263157894736883,
      0.022842105263157848,
      0.07494736842105258,
      0.1270526315789473,
      0.1791578947368421,
      0.23126315789473678,
      0.2833684210526315,
      0.33547368421052626,
      0.387578947368421,
      0.43968421052631573,
      0.4917894736842104,
      0.5438947368421052,
      0.596,
    ];
    const { next, config } = sgd(w(), dw());
    assertClose("next_w", next, expected);
    assertEquals(config.learningRate, 1e-2);
  });
});

describe("SGD + Momentum", () => {
  // python3 scripts/reference/optim_reference.py → momentum_next_w, momentum_velocity
  // (the notebook's case: learning_rate 1e-3, velocity = linspace(0.6, 0.9))
  const expectedNextW = [
    0.14060000000000006,
    0.2073894736842105,
    0.27417894736842097,
    0.34096842105263164,
    0.407757894736842,
    0.47454736842105266,
    0.5413368421052631,
    0.6081263157894736,
    0.6749157894736842,
    0.7417052631578946,
    0.8084947368421053,
    0.8752842105263158,
    0.9420736842105263,
    1.0088631578947367,
    1.0756526315789472,
    1.142442105263158,
    1.2092315789473682,
    1.276021052631579,
    1.3428105263157895,
    1.4096000000000002,
  ];
  const expectedVelocity = [
    0.5406000000000001,
    0.5547578947368421,
    0.5689157894736842,
    0.5830736842105264,
    0.5972315789473683,
    0.6113894736842106,
    0.6255473684210526,
    0.6397052631578948,
    0.6538631578947369,
    0.6680210526315788,
    0.6821789473684211,
    0.6963368421052631,
    0.7104947368421053,
    0.7246526315789474,
    0.7388105263157895,
    0.7529684210526316,
    0.7671263157894737,
    0.7812842105263159,
    0.795442105263158,
    0.8096000000000001,
  ];
  const config: OptimConfig = { learningRate: 1e-3, velocity: linspace(0.6, 0.9, N * D) };
  const { next, config: nextConfig } = sgdMomentum(w(), dw(), config);

  it("reproduces the notebook's next_w (v = 0.9·v − lr·dw, w + v)", () => {
    assertClose("next_w", next, expectedNextW);
  });

  it("reproduces the notebook's velocity", () => {
    assertClose("velocity", nextConfig.velocity!, expectedVelocity);
    assertEquals(nextConfig.momentum, 0.9);
  });

  it("is pure: the config passed in and its velocity are not written", () => {
    assertEquals(config.velocity!.data, linspace(0.6, 0.9, N * D).data);
    assertEquals(Object.keys(config), ["learningRate", "velocity"]);
  });

  it("starts from zero velocity: the first step is plain SGD", () => {
    const a = sgdMomentum(w(), dw(), { learningRate: 0.1 }).next;
    const b = sgd(w(), dw(), { learningRate: 0.1 }).next;
    assertLess(relError(a, b), 1e-15);
  });
});

describe("RMSProp", () => {
  // python3 scripts/reference/optim_reference.py → rmsprop_next_w, rmsprop_cache
  // (the notebook's case: learning_rate 1e-2, cache = linspace(0.6, 0.9))
  const expectedNextW = [
    -0.3922384948433383,
    -0.34037513299070765,
    -0.28849238846687814,
    -0.23659120821081786,
    -0.18467247195258382,
    -0.13273699834703015,
    -0.08078555043091254,
    -0.02881884049026984,
    0.023162465587694647,
    0.07515774441461458,
    0.12716641159814304,
    0.17918791858913796,
    0.2312217498380417,
    0.28326742022505713,
    0.33532447273333105,
    0.3873924763382963,
    0.43947102408970146,
    0.4915597313657581,
    0.5436582342813369,
    0.5957661882343064,
  ];
  const expectedCache = [
    0.5976,
    0.6126277008310249,
    0.6277108033240998,
    0.6428493074792244,
    0.6580432132963988,
    0.6732925207756232,
    0.6885972299168975,
    0.7039573407202216,
    0.7193728531855956,
    0.7348437673130194,
    0.7503700831024931,
    0.7659518005540166,
    0.78158891966759,
    0.7972814404432133,
    0.8130293628808865,
    0.8288326869806094,
    0.8446914127423822,
    0.8606055401662049,
    0.8765750692520776,
    0.8926000000000001,
  ];
  const { next, config } = rmsprop(w(), dw(), {
    learningRate: 1e-2,
    cache: linspace(0.6, 0.9, N * D),
  });

  it("reproduces the notebook's next_w and cache (decay 0.99, ε 1e-8)", () => {
    assertClose("next_w", next, expectedNextW);
    assertClose("cache", config.cache!, expectedCache);
    assertEquals([config.decayRate, config.epsilon], [0.99, 1e-8]);
  });
});

describe("Adam", () => {
  // python3 scripts/reference/optim_reference.py → adam_next_w, adam_m, adam_v, adam_t
  // (the notebook's case: learning_rate 1e-2, m = linspace(0.6, 0.9), v = linspace(0.7, 0.5), t = 5)
  const expectedNextW = [
    -0.40094747166840083,
    -0.3483618689667189,
    -0.2957770321333014,
    -0.24319298836973444,
    -0.19060976631902593,
    -0.13802739616704435,
    -0.08544590975289204,
    -0.032865340689163525,
    0.019714275506843335,
    0.07229290126975907,
    0.12487049682925762,
    0.17744702003811577,
    0.2300224261834716,
    0.2825966677792994,
    0.33516969433784094,
    0.3877414521174136,
    0.4403118838436444,
    0.49288092840074144,
    0.5454485204889067,
    0.5980145902433942,
  ];
  const expectedM = [
    0.48000000000000004,
    0.49947368421052635,
    0.5189473684210526,
    0.538421052631579,
    0.5578947368421052,
    0.5773684210526316,
    0.596842105263158,
    0.6163157894736842,
    0.6357894736842106,
    0.6552631578947368,
    0.6747368421052632,
    0.6942105263157895,
    0.7136842105263158,
    0.7331578947368421,
    0.7526315789473684,
    0.7721052631578947,
    0.791578947368421,
    0.8110526315789475,
    0.8305263157894738,
    0.8500000000000001,
  ];
  const expectedV = [
    0.69966,
    0.6890838227146813,
    0.678513185595568,
    0.6679480886426593,
    0.6573885318559557,
    0.6468345152354571,
    0.6362860387811634,
    0.6257431024930747,
    0.615205706371191,
    0.6046738504155125,
    0.5941475346260386,
    0.5836267590027702,
    0.5731115235457064,
    0.5626018282548476,
    0.5520976731301939,
    0.5415990581717451,
    0.5311059833795013,
    0.5206184487534625,
    0.5101364542936287,
    0.49966,
  ];
  const m0 = linspace(0.6, 0.9, N * D), v0 = linspace(0.7, 0.5, N * D);
  const { next, config } = adam(w(), dw(), { learningRate: 1e-2, m: m0, v: v0, t: 5 });

  it("reproduces the notebook's next_w, m and v, incrementing t before the bias correction", () => {
    assertClose("next_w", next, expectedNextW);
    assertClose("m", config.m!, expectedM);
    assertClose("v", config.v!, expectedV);
    assertEquals(config.t, 6);
  });

  it("fills in the documented defaults: lr 1e-3, β1 0.9, β2 0.999, ε 1e-8", () => {
    const { config: c } = adam(w(), dw());
    assertEquals(
      [c.learningRate, c.beta1, c.beta2, c.epsilon, c.t],
      [1e-3, 0.9, 0.999, 1e-8, 1],
    );
    assertEquals(OPTIM_DEFAULTS.adam, {
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    });
  });

  it("is pure: w, dw, m and v keep their values", () => {
    assertEquals(m0.data, linspace(0.6, 0.9, N * D).data);
    assertEquals(v0.data, linspace(0.7, 0.5, N * D).data);
  });

  it("keeps float32 in float32 and follows numpy's float32 run over three steps from zero state", () => {
    // python3 scripts/reference/optim_reference.py → adam3_f32_next_w (dtype float32)
    const expected = [
      -0.3970000445842743,
      -0.34436845779418945,
      -0.2917368710041046,
      -0.2391052544116974,
      -0.18647368252277374,
      -0.1338420957326889,
      -0.08121052384376526,
      -0.028578946366906166,
      0.024052632972598076,
      0.07668421417474747,
      0.1293157935142517,
      0.18194738030433655,
      0.22857894003391266,
      0.2812105715274811,
      0.3338421583175659,
      0.38647371530532837,
      0.4391053020954132,
      0.49173688888549805,
      0.5443684458732605,
      0.5970000624656677,
    ];
    const f32 = (t: Tensor): Tensor => ({ shape: t.shape, data: Float32Array.from(t.data) });
    let x = f32(w());
    const g = f32(dw());
    let config: OptimConfig | undefined;
    for (let i = 0; i < 3; i++) ({ next: x, config } = adam(x, g, config));
    assertInstanceOf(x.data, Float32Array);
    assertInstanceOf(config!.m!.data, Float32Array);
    // float32 rounding: numpy rounds after every operation, bnlab once per stored value.
    assertClose("next_w (float32)", x, expected, 1e-6);
  });

  it("moves every weight by about the learning rate on the first step, whatever |dw|", () => {
    const { next } = adam(
      { shape: [3], data: new Float64Array([0, 0, 0]) },
      { shape: [3], data: new Float64Array([1e-3, -5, 1e3]) },
    );
    // Exactly lr · |dw| / (|dw| + ε): 1e-3 less 1e-8, 2e-12 and 1e-14.
    assertAlmostEquals(next.data[0], -1e-3, 2e-8);
    assertAlmostEquals(next.data[1], 1e-3, 1e-11);
    assertAlmostEquals(next.data[2], -1e-3, 2e-14);
  });
});

describe("Bad input to the update rules", () => {
  it("says which shape dw should have", () => {
    assertThrows(
      () => sgd(w(), linspace(0, 1, 20, [5, 4])),
      ShapeError,
      "sgd: dw must have w's shape (4, 5) but got (5, 4)",
    );
  });

  it("refuses a dtype mix and a state of the wrong shape", () => {
    const f32 = { shape: [4, 5], data: new Float32Array(20) };
    assertThrows(() => adam(w(), f32), DTypeError, "adam: dw is float32 but w is float64");
    assertThrows(
      () => sgdMomentum(w(), dw(), { velocity: linspace(0, 1, 4, [4]) }),
      ShapeError,
      "sgdMomentum: config.velocity must have w's shape (4, 5) but got (4,)",
    );
  });

  it("refuses hyperparameters outside their domain, naming the key", () => {
    assertThrows(
      () => sgd(w(), dw(), { learningRate: -1 }),
      ValueError,
      "sgd: config.learningRate must be a positive finite number but got -1",
    );
    assertThrows(
      () => sgdMomentum(w(), dw(), { momentum: 1 }),
      ValueError,
      "config.momentum must be a number in [0, 1) but got 1",
    );
    assertThrows(() => rmsprop(w(), dw(), { decayRate: NaN }), ValueError, "config.decayRate");
    assertThrows(() => adam(w(), dw(), { t: 1.5 }), ValueError, "config.t must be an integer >= 0");
  });

  it("returns new objects and never the tensors passed in", () => {
    const x = w(), g = dw();
    const r = sgd(x, g, { learningRate: 0 + 1e-2 });
    assertStrictEquals(r.next === x, false);
    assertEquals(x.data, w().data);
  });
});
