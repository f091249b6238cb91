/**
 * The notebook's gradient-check helpers: centred differences that perturb the
 * input in place — and always put it back, even when the function throws.
 */
import { describe, it } from "node:test";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  evalNumericalGradient,
  evalNumericalGradientArray,
  relError,
  type Tensor,
  tensor,
  ValueError,
} from "../mod.ts";

describe("Numerical gradients leave their input as it was", () => {
  it("restore x when f throws mid-check, in both helpers", () => {
    const x = tensor([1.5, -2, 3]);
    let calls = 0;
    const boom = (t: Tensor) => {
      if (++calls === 3) throw new Error("f failed");
      return t.data[0];
    };
    assertThrows(() => evalNumericalGradient(boom, x), Error, "f failed");
    assertEquals(Array.from(x.data), [1.5, -2, 3]);
    calls = 0;
    const boomArray = (t: Tensor) => {
      if (++calls === 4) throw new Error("f failed");
      return t;
    };
    assertThrows(() => evalNumericalGradientArray(boomArray, x, tensor([1, 1, 1])), Error);
    assertEquals(Array.from(x.data), [1.5, -2, 3]);
  });

  it("compute d(Σx²)/dx = 2x and restore x exactly", () => {
    const x = tensor([0.1, -0.7, 2]);
    const g = evalNumericalGradient((t) => t.data.reduce((s, v) => s + v * v, 0), x);
    for (let i = 0; i < 3; i++) assertAlmostEquals(g.data[i], 2 * x.data[i], 1e-8);
    assertEquals(Array.from(x.data), [0.1, -0.7, 2]);
  });

  it("refuse what is not a function, a step or numbers, naming the helper", () => {
    assertThrows(
      () => evalNumericalGradient(null as never, tensor([1])),
      ValueError,
      "evalNumericalGradient: f must be a function but got null",
    );
    assertThrows(
      () => evalNumericalGradient(() => 0, tensor([1]), 0),
      ValueError,
      "evalNumericalGradient: h must be a positive finite step but got 0",
    );
    assertThrows(
      () => relError(null as never, [1]),
      ValueError,
      "relError: a must be a number, an array of numbers or a tensor but got null",
    );
  });
});
