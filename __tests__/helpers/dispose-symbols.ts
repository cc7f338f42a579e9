/*
 * Jest runs each test file in a fresh vm context, whose `Symbol` lacks the `asyncDispose` and
 * `dispose` that Node (>= 20.4) adds to its own: without them `await using` throws and the
 * clients' `[Symbol.asyncDispose]` methods are keyed "undefined". Node's are registered symbols,
 * so the same ones are installed here. Import this module before the package.
 */
const symbols = Symbol as unknown as { asyncDispose?: symbol; dispose?: symbol };
symbols.asyncDispose ??= Symbol.for('nodejs.asyncDispose');
symbols.dispose ??= Symbol.for('nodejs.dispose');

export {};
