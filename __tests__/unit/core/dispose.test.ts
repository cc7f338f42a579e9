import { NODE_ASYNC_DISPOSE } from '../../../src/core/dispose';

/*
 * The clients' dispose methods, found whichever Symbol.asyncDispose the code that disposes them
 * has. Jest's own vm context is the realm here: jest.config.js installs Node's registered symbol
 * in it (aio-rdkafka/testing/jest-setup); a test below takes it away to load the clients as they
 * load in a context that lacks it (a Jest run on Node 20 or 22 without the setup entry).
 */

const CLIENTS = [
  ['AIOProducer', '../../../src/producer/aio-producer'],
  ['AIOConsumer', '../../../src/consumer/aio-consumer'],
  ['AIOAdmin', '../../../src/admin/aio-admin'],
  ['Transaction', '../../../src/producer/transaction'],
] as const;

/** The prototype of `name` from `path`, loaded afresh. */
function freshPrototype(name: string, path: string): Record<PropertyKey, unknown> {
  let prototype: Record<PropertyKey, unknown> | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    prototype = (require(path) as Record<string, { prototype: Record<PropertyKey, unknown> }>)[name]!.prototype;
  });
  return prototype!;
}

describe.each(CLIENTS)('%s', (name, path) => {
  it("keys its dispose method under this realm's Symbol.asyncDispose and Node's registered one", () => {
    const prototype = freshPrototype(name, path);
    expect(typeof prototype[Symbol.asyncDispose]).toBe('function');
    expect(prototype[NODE_ASYNC_DISPOSE]).toBe(prototype[Symbol.asyncDispose]);
    expect(Object.keys(prototype)).toEqual([]);
  });

  it('loaded in a realm without Symbol.asyncDispose, is still disposable once the symbol is installed', () => {
    const symbols = Symbol as { asyncDispose?: symbol };
    const installed = symbols.asyncDispose;
    delete symbols.asyncDispose;
    let prototype: Record<PropertyKey, unknown>;
    try {
      prototype = freshPrototype(name, path);
    } finally {
      symbols.asyncDispose = installed;
    }
    // What `await using` (or TypeScript's helper for it) looks up once a setup file installed the symbol.
    expect(typeof prototype[Symbol.asyncDispose]).toBe('function');
    // Not the string key a class body's `[Symbol.asyncDispose]()` gets where the symbol is missing.
    expect(Object.getOwnPropertyNames(prototype)).not.toContain('undefined');
  });
});
