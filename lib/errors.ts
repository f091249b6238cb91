/**
 * Error classes thrown at bnlab's public boundary.
 *
 * Every message says which function threw, what it expected and what it got,
 * e.g. `batchnormForward: gamma must have length D=3 but got 4`.
 *
 * @module
 */

/** Base class of every error bnlab throws on purpose. */
export class BnlabError extends Error {
  /** Name of the public function that threw, e.g. `"batchnormForward"`. */
  readonly fn: string;

  /**
   * An error whose message reads `fn: message`.
   *
   * @param fn name of the public function that rejected its input
   * @param message what was expected and what came
   */
  constructor(fn: string, message: string) {
    super(`${fn}: ${message}`);
    this.fn = fn;
    this.name = "BnlabError";
  }
}

/** A tensor has the wrong rank or shape. */
export class ShapeError extends BnlabError {
  /**
   * A shape error raised by `fn`.
   *
   * @param fn name of the public function
   * @param message what shape was expected and what came
   */
  constructor(fn: string, message: string) {
    super(fn, message);
    this.name = "ShapeError";
  }
}

/** Tensors that must share a dtype do not (Float32Array mixed with Float64Array). */
export class DTypeError extends BnlabError {
  /**
   * A dtype error raised by `fn`.
   *
   * @param fn name of the public function
   * @param message which dtypes were expected and which came
   */
  constructor(fn: string, message: string) {
    super(fn, message);
    this.name = "DTypeError";
  }
}

/** An option or argument has a value outside its domain (unknown mode, negative size, …). */
export class ValueError extends BnlabError {
  /**
   * A value error raised by `fn`.
   *
   * @param fn name of the public function
   * @param message which values were allowed and which came
   */
  constructor(fn: string, message: string) {
    super(fn, message);
    this.name = "ValueError";
  }
}

/**
 * Checks an options object: it must be an object, and every key must be one
 * the function knows (a misspelt option is an error, not silently ignored).
 *
 * @param fn name of the public function, for the message
 * @param options the value passed as options
 * @param known the option names the function accepts
 * @param required a short description of what must be present, e.g. `"{ rng }"`
 * @throws {ValueError} naming the unknown keys and listing the known ones
 */
export function checkOptionKeys(
  fn: string,
  options: unknown,
  known: ReadonlySet<string>,
  required: string,
): void {
  if (options === null || typeof options !== "object") {
    throw new ValueError(
      fn,
      `options must be an object with at least ${required} but got ${options}`,
    );
  }
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ValueError(
      fn,
      `unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; known: ${
        [...known].join(", ")
      }`,
    );
  }
}
