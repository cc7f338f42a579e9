/*
 * The two native bindings this package runs on, by name: what a user writes in the `binding`
 * option and in the AIO_BINDING environment variable, and how each is installed. Names only:
 * src/native/loader.ts loads them; the test kit (src/testing/) finds their librdkafka without
 * loading them. Nothing here requires either package.
 */
import { InvalidArgumentError } from './errors';

/** node-rdkafka: the default binding (compiles librdkafka at install). */
export const NODE_RDKAFKA = 'node-rdkafka';
/** @confluentinc/kafka-javascript (CKJS): Confluent's fork of node-rdkafka, with prebuilt binaries. */
export const CKJS = '@confluentinc/kafka-javascript';

/** A binding by its npm package name. */
export type BindingName = typeof NODE_RDKAFKA | typeof CKJS;

/** The bindings in the order the default looks for them: node-rdkafka first. */
export const BINDING_NAMES: readonly BindingName[] = [NODE_RDKAFKA, CKJS];

/** The environment variable that names the default binding (CI runs the suites once per binding). */
export const BINDING_ENV = 'AIO_BINDING';

/** How to install each binding beside aio-rdkafka, as README.md says it. */
export const INSTALL_COMMAND: Readonly<Record<BindingName, string>> = {
  [NODE_RDKAFKA]: 'npm install node-rdkafka (compiles librdkafka: a C/C++ toolchain, 2 to 3 minutes)',
  [CKJS]: 'npm install @confluentinc/kafka-javascript --omit=optional (a prebuilt binary, nothing to compile)',
};

/** Whether `value` is one of {@link BINDING_NAMES}. */
export function isBindingName(value: unknown): value is BindingName {
  return value === NODE_RDKAFKA || value === CKJS;
}

/**
 * The binding {@link BINDING_ENV} names, or undefined when it is unset or empty.
 * @throws {InvalidArgumentError} when it names something else.
 */
export function bindingFromEnv(env: NodeJS.ProcessEnv = process.env): BindingName | undefined {
  const value = env[BINDING_ENV];
  if (value === undefined || value === '') return undefined;
  if (isBindingName(value)) return value;
  throw new InvalidArgumentError(`environment variable ${BINDING_ENV} must be "${NODE_RDKAFKA}" or "${CKJS}", got ${JSON.stringify(value)}`);
}
