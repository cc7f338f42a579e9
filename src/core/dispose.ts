/*
 * `await using` looks a resource's dispose method up under the `Symbol.asyncDispose` of the
 * realm running the code (its own, or that of the TypeScript helper the code was compiled to),
 * and which symbol that is depends on where it runs:
 *
 * - Node 24 and later: V8's own well-known symbol, the same in every realm (vm contexts too).
 * - Node 20.4 to 22: `Symbol.for('nodejs.asyncDispose')`, which Node installs in its main realm
 *   only. A vm context, such as each Jest test file's, has none until a setup file installs the
 *   same registered symbol (aio-rdkafka/testing/jest-setup).
 *
 * A class body's `[Symbol.asyncDispose]()` is keyed once, by the realm that loaded the module:
 * in a context that lacks the symbol its key is the string "undefined", and a test that installs
 * the symbol later, or a realm whose symbol differs, finds no method. So the clients key their
 * dispose method under every symbol it may be looked up by.
 */

/** The symbol Node 20.4 to 22 give `Symbol.asyncDispose` (a registered one: the same in every realm). */
export const NODE_ASYNC_DISPOSE: symbol = Symbol.for('nodejs.asyncDispose');
/** The symbol Node 20.4 to 22 give `Symbol.dispose`. */
export const NODE_DISPOSE: symbol = Symbol.for('nodejs.dispose');

/**
 * Defines `dispose` on `prototype` under this realm's `Symbol.asyncDispose` (when it has one) and
 * under Node's registered `nodejs.asyncDispose`, non-enumerable like a class method. Called from
 * the class's static block; the class declares the method's type with
 * `declare [Symbol.asyncDispose]: () => Promise<void>`.
 */
export function defineAsyncDispose<T>(prototype: T, dispose: (this: T) => Promise<void>): void {
  const own = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  for (const key of typeof own === 'symbol' ? [own, NODE_ASYNC_DISPOSE] : [NODE_ASYNC_DISPOSE]) {
    Object.defineProperty(prototype, key, { value: dispose, writable: true, configurable: true, enumerable: false });
  }
}
