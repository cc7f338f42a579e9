import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type * as NodeRdkafka from 'node-rdkafka';
import { bindingFromEnv, CKJS, NODE_RDKAFKA, type BindingName } from '../../src/core/bindings';

/**
 * The binding the suite runs on: AIO_BINDING (CI runs the integration and fault suites once per
 * binding), else node-rdkafka. The library's own default reads the same variable, so the clients
 * a test connects run on it without being told.
 */
export const TEST_BINDING: BindingName = bindingFromEnv() ?? NODE_RDKAFKA;

/** Whether the suite runs on @confluentinc/kafka-javascript. */
export const onCkjs = TEST_BINDING === CKJS;

/** `describe`/`it` for what one binding alone does: skipped on the other. */
export const describeOn = (binding: BindingName): jest.Describe => (TEST_BINDING === binding ? describe : describe.skip);
export const itOn = (binding: BindingName): jest.It => (TEST_BINDING === binding ? it : it.skip);

/**
 * The binding's module, for the tests that drive it directly (a plain consumer reading back what
 * was produced, a second group member). CKJS's non-promisified API is node-rdkafka's, call for
 * call, for what these tests use; one process never loads both (a CKJS built from source would
 * then run on node-rdkafka's librdkafka: src/native/loader.ts).
 */
export function testBinding(): typeof NodeRdkafka {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(TEST_BINDING) as typeof NodeRdkafka;
}

/**
 * The installed @confluentinc/kafka-javascript's folder, or undefined: found through NODE_PATH
 * (as the suites' CKJS run finds it) or in bench/peers/ (where `npm run bench:peers-install` and
 * .ci/run put it; never in the repository's own node_modules).
 */
export function ckjsDir(): string | undefined {
  const roots = [...(process.env.NODE_PATH ?? '').split(delimiter).filter(Boolean), join(__dirname, '..', '..', 'bench', 'peers', 'node_modules')];
  const found = roots.map((root) => join(root, '@confluentinc', 'kafka-javascript')).find((dir) => existsSync(join(dir, 'package.json')));
  return found !== undefined && existsSync(join(found, 'build', 'Release', 'confluent-kafka-javascript.node')) ? found : undefined;
}

/**
 * `describe` for tests that need both bindings installed: skipped when CKJS is not, unless
 * AIO_TEST_BOTH_BINDINGS is set (CI sets it: there a missing CKJS fails these tests).
 */
export const describeWithBothBindings: jest.Describe =
  ckjsDir() !== undefined || process.env.AIO_TEST_BOTH_BINDINGS ? describe : describe.skip;
