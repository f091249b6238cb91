/**
 * A solver's parameter updates: one update rule per parameter, asked to step,
 * all or nothing — every gradient is checked, finite values included (and,
 * for a rule given as a function, every new value computed and tested finite)
 * before any parameter changes.
 *
 * @module
 */

import { BnlabError, describeValue, ShapeError, ValueError } from "./errors.ts";
import { dtypeOf, FiniteCheck, type FloatArray, isResident, ResidentPool } from "./kernels/mod.ts";
import {
  type InPlaceRule,
  type OptimConfig,
  resolveHyper,
  type RuleName,
  UPDATE_RULES,
  type UpdateResult,
  type UpdateRule,
} from "./optim.ts";
import { checkTensor, fmtShape, type Tensor } from "./tensor.ts";

/** A built-in rule for one parameter, and the storage it was made for. */
interface Entry {
  readonly rule: InPlaceRule;
  readonly data: FloatArray;
}

/** True when a gradients record is frozen through (record, tensors, shapes) over resident arrays. */
function sealedResident(grads: Record<string, Tensor>): boolean {
  if (!Object.isFrozen(grads)) return false;
  for (const t of Object.values(grads)) {
    if (!Object.isFrozen(t) || !Object.isFrozen(t.shape) || !isResident(t.data)) return false;
  }
  return true;
}

/** Whether `t` has w's shape and dtype. */
function like(t: Tensor, w: Tensor): boolean {
  return t.shape.length === w.shape.length && t.shape.every((d, i) => d === w.shape[i]) &&
    dtypeOf(t.data) === dtypeOf(w.data);
}

/**
 * Every parameter's update rule and its state. A built-in rule (by name) runs
 * in place in memory this object owns; a rule given as a function returns new
 * tensors, which replace the parameters.
 */
export class ParamUpdates {
  readonly #builtIn: RuleName | null;
  readonly #fn: UpdateRule;
  /** Per parameter: the hyperparameters (built-in) or the config the function returned last. */
  readonly configs: Record<string, OptimConfig> = {};
  readonly #rules = new Map<string, Entry>();
  readonly #memory: ResidentPool;
  readonly #finite: FiniteCheck;
  /**
   * A gradients record checked before that nothing can change since: frozen
   * through and through, over the kernels' memory (which is never resized or
   * detached) — the record a net lends its solver, the same every step.
   */
  #trusted: Record<string, Tensor> | null = null;

  /**
   * @param builtIn the built-in rule, or null
   * @param fn the rule's function
   * @param names the parameters' names
   * @param template the hyperparameters every parameter starts from
   */
  constructor(
    builtIn: RuleName | null,
    fn: UpdateRule,
    names: readonly string[],
    template: OptimConfig,
  ) {
    this.#builtIn = builtIn;
    this.#fn = fn;
    this.#memory = new ResidentPool("Solver");
    this.#finite = new FiniteCheck(this.#memory);
    for (const name of names) this.configs[name] = { ...template };
  }

  /** True for a built-in rule: it keeps nothing of the gradients it is given. */
  get inPlace(): boolean {
    return this.#builtIn !== null;
  }

  /**
   * Updates every parameter from its gradient, all or nothing: when a
   * gradient (or, with a rule function, a new value) is not finite, nothing
   * changes and its name is returned — the step that would write NaN or ±∞
   * into a parameter is not taken.
   *
   * @param fn the public function, for messages
   * @param params the model's parameters (entries are replaced with a rule function)
   * @param grads a gradient for every parameter
   * @returns null when every parameter was updated, else what was not finite
   *   (`"grads.W1"`, or `"the update of W1"` for a rule function's result)
   * @throws {BnlabError} / {ShapeError} for a missing or mismatched gradient,
   *   or a rule function's result that is not a tensor like its parameter —
   *   before any parameter changed
   */
  step(fn: string, params: Record<string, Tensor>, grads: Record<string, Tensor>): string | null {
    if (this.#builtIn === null) return this.#stepFunction(fn, params, grads);
    // Check every gradient and make every rule first: nothing below can throw.
    const trusted = grads === this.#trusted;
    for (const [name, w] of Object.entries(params)) {
      this.#rule(fn, name, w, grads[name], trusted);
    }
    if (!trusted && sealedResident(grads)) this.#trusted = grads;
    for (const name of Object.keys(params)) {
      if (!this.#finite.all(grads[name].data)) return `grads.${name}`;
    }
    for (const [name, w] of Object.entries(params)) {
      this.#rules.get(name)!.rule.step(w.data, grads[name].data);
    }
    return null;
  }

  /** The rule for parameter `name`, made on first use (or when w's storage changed). */
  #rule(fn: string, name: string, w: Tensor, dw: Tensor | undefined, trusted: boolean): void {
    if (dw === undefined) {
      throw new BnlabError(fn, `the model returned no gradient for parameter ${name}`);
    }
    checkTensor(fn, `params.${name}`, w);
    if (!trusted) checkTensor(fn, `grads.${name}`, dw);
    if (dw.data.length !== w.data.length || dtypeOf(dw.data) !== dtypeOf(w.data)) {
      throw new ShapeError(
        fn,
        `grads.${name} must match params.${name} ${fmtShape(w.shape)} ${dtypeOf(w.data)} but is ${
          describeValue(dw)
        }`,
      );
    }
    const e = this.#rules.get(name);
    if (e !== undefined && e.data.length === w.data.length && dtypeOf(e.data) === dtypeOf(w.data)) {
      return;
    }
    const kind = UPDATE_RULES[this.#builtIn!];
    const hyper = resolveHyper("Solver", this.#builtIn!, this.configs[name]);
    const setup = { dtype: dtypeOf(w.data), length: w.data.length, memory: this.#memory };
    this.#rules.set(name, { rule: kind.create(hyper, setup), data: w.data });
  }

  /** A rule function for every parameter, then every result committed when all are finite. */
  #stepFunction(
    fn: string,
    params: Record<string, Tensor>,
    grads: Record<string, Tensor>,
  ): string | null {
    const results: [string, UpdateResult][] = [];
    for (const name of Object.keys(params)) {
      const dw = grads[name];
      if (dw === undefined) {
        throw new BnlabError(fn, `the model returned no gradient for parameter ${name}`);
      }
      checkTensor(fn, `grads.${name}`, dw);
    }
    for (const name of Object.keys(params)) {
      if (!this.#finite.all(grads[name].data)) return `grads.${name}`;
    }
    for (const [name, w] of Object.entries(params)) {
      const dw = grads[name];
      const r = this.#fn(w, dw, this.configs[name]);
      const what = `the update rule's result for ${name}`;
      if (r === null || typeof r !== "object") {
        throw new ValueError(fn, `${what} must be { next, config } but got ${describeValue(r)}`);
      }
      checkTensor(fn, `${what}: next`, r.next);
      if (!like(r.next, w)) {
        throw new ShapeError(
          fn,
          `${what}: next must be ${dtypeOf(w.data)} of shape ${
            fmtShape(w.shape)
          } (as params.${name}) but is ${describeValue(r.next)}`,
        );
      }
      results.push([name, r]);
    }
    for (const [name, { next }] of results) {
      if (!this.#finite.all(next.data)) return `the update of ${name}`;
    }
    for (const [name, { next, config }] of results) {
      params[name] = next;
      this.configs[name] = config;
    }
    return null;
  }

  /**
   * Multiplies every learning rate by `factor` (a solver's decay at an epoch's end).
   *
   * @param factor the decay
   */
  decay(factor: number): void {
    for (const c of Object.values(this.configs)) {
      if (c.learningRate !== undefined) c.learningRate *= factor;
    }
    for (const { rule } of this.#rules.values()) rule.hyper.learningRate *= factor;
  }

  /**
   * Every parameter's config, as the notebook's `optim_configs`: the
   * hyperparameters and, for a built-in rule, a copy of its state.
   *
   * @param params the model's parameters (for the state's shapes)
   */
  snapshot(params: Record<string, Tensor>): Record<string, OptimConfig> {
    if (this.#builtIn === null) return this.configs;
    const out: Record<string, OptimConfig> = {};
    for (const [name, c] of Object.entries(this.configs)) {
      const e = this.#rules.get(name);
      const shape = params[name]?.shape ?? [e?.data.length ?? 0];
      out[name] = e === undefined ? { ...c } : { ...e.rule.hyper, ...e.rule.state(shape) };
    }
    return out;
  }

  /** Frees the rules' state now; a later step makes new rules from zero state. */
  free(): void {
    this.#memory.free();
    this.#rules.clear();
  }
}
