/*
 * `aio-rdkafka/testing/jest-setup`: for Jest's `setupFiles`, so that `await using` works in a
 * test file (docs/testing.md, "A jest test you can copy").
 *
 * Jest runs each test file in a vm context of its own. On Node 20 and 22 that context's `Symbol`
 * has no `asyncDispose` (Node installs it in its main realm only), so an `await using` compiled
 * by TypeScript throws `TypeError: Symbol.asyncDispose is not defined` right after the client
 * connected: the client is never closed and Jest waits for it forever. This installs the symbols
 * Node's main realm has (registered ones: the same in every realm), and only where they are
 * missing: on Node 24 and later every realm has V8's own, which this leaves alone.
 */
import { NODE_ASYNC_DISPOSE, NODE_DISPOSE } from '../core/dispose';

const symbols = Symbol as { asyncDispose?: symbol; dispose?: symbol };
symbols.asyncDispose ??= NODE_ASYNC_DISPOSE;
symbols.dispose ??= NODE_DISPOSE;
