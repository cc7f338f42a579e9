/*
 * librdkafka's refusals of a configuration, as InvalidArgumentErrors that name the key the caller
 * wrote. A refusal comes at two moments: when node-rdkafka builds the configuration (a name or
 * value librdkafka's parser refuses: the constructor throws) and when librdkafka creates the
 * client in connect (a file it cannot read, a SASL mechanism it does not have, a conflict
 * between settings). Both say which key, never the value of a secret or unknown key.
 */
import { BINDING_NAMES } from '../core/bindings';
import { AIOKafkaError, InvalidArgumentError, UnsupportedByBindingError } from '../core/errors';
import { showValue, typeOfValue } from '../core/validation';
import type { LibrdkafkaConfig } from './config';
import { checkConfigHazards } from './config-hazards';
import { CALLBACK_PROPERTIES, type Binding } from './loader';
import { canonicalName, closestPropertyName, isLibrdkafkaProperty, keyFor, takesCallback } from './property-index';
import { isSecretKey, redactError, redactorFor } from './redaction';

/** Names in double quotes: librdkafka's way of naming a property in a refusal. */
const QUOTED = /"([a-zA-Z0-9._-]+)"/g;
/** Words that may be property names (`acks`, `ssl.key.location`), in backticks or bare. */
const WORDS = /[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*/g;
/** librdkafka's refusals at creation that do not name their property. */
const UNNAMED: ReadonlyArray<[RegExp, string]> = [
  [/^(?:Unsupported SASL mechanism|No provider for SASL mechanism)\b/, 'sasl.mechanisms'],
  [/^Failed to load OpenSSL provider\b/, 'ssl.providers'],
  [/^OpenSSL engine initialization failed\b/, 'ssl.engine.location'],
];

/**
 * The key the caller wrote for the property librdkafka names: librdkafka reports an alias under
 * its own name (`linger.ms` → "queue.buffering.max.ms"), and its texts sometimes use the alias for
 * a property written under its own name (`acks` for `request.required.acks`). `named` itself when
 * the caller wrote no key for that property.
 */
function writtenKey(config: LibrdkafkaConfig, named: string): string {
  return keyFor(config, named) ?? named;
}

/**
 * `librdkafka refused config "key"`, with what can safely be said of it: librdkafka's name for an
 * alias; the value, unless librdkafka marks the key sensitive or does not know it; for an unknown
 * key, the closest known name.
 */
function refusedKey(config: LibrdkafkaConfig, named: string): string {
  const key = writtenKey(config, named);
  const value = config[key];
  const as = key !== named && canonicalName(key) === named ? ` (librdkafka's name for it: "${named}")` : '';
  if (!isLibrdkafkaProperty(key)) {
    return `librdkafka refused config "${key}": no such property (did you mean "${closestPropertyName(key)}"?)`;
  }
  const shown = value === undefined || isSecretKey(key) ? '' : ` (got ${showValue(value)})`;
  return `librdkafka refused config "${key}"${as}${shown}`;
}

/**
 * librdkafka's text in a node-rdkafka error. node-rdkafka's consumer hands a refused creation
 * over as a plain Error that its LibrdKafkaError splits at ": " and lower-cases (code -1,
 * `message` the second part); the stack's first line still holds the whole text.
 */
function nativeText(err: unknown): string {
  const message = err instanceof Error || (typeof err === 'object' && err !== null) ? String((err as { message?: unknown }).message ?? '') : String(err);
  const stack = (err as { stack?: unknown } | null)?.stack;
  const firstLine = typeof stack === 'string' ? /^[\w$]*: (.*)/.exec(stack.split('\n', 1)[0]!)?.[1] : undefined;
  const text = firstLine !== undefined && message !== '' && firstLine.toLowerCase().includes(message.toLowerCase()) ? firstLine : message;
  // node-rdkafka's AdminClient rethrows the refusal with its text prefixed by "Error: ".
  return text.replace(/^Error: /, '');
}

/**
 * The property librdkafka's text is about, if it says: the first quoted name that is a property
 * or a key of `config` ("No such configuration property: \"sasl.pasword\"", never the quoted value
 * in 'Invalid value "x" for configuration property "compression.codec"'); the property of a
 * text known not to name it (an unsupported SASL mechanism, an OpenSSL provider or engine);
 * else the first property the caller set that the text mentions ("ssl.key.location failed: ...",
 * "`acks` must be set to `all` when ...").
 */
function namedProperty(text: string, config: LibrdkafkaConfig): string | undefined {
  const written = (name: string): boolean => config[writtenKey(config, name)] !== undefined;
  for (const [, name] of text.matchAll(QUOTED)) {
    if (isLibrdkafkaProperty(name!) || name! in config) return name;
  }
  for (const [pattern, property] of UNNAMED) if (pattern.test(text)) return property;
  for (const [word] of text.matchAll(WORDS)) {
    if (isLibrdkafkaProperty(word) && written(word)) return word;
  }
  return undefined;
}

/**
 * librdkafka's refusal of a configuration as an {@link InvalidArgumentError} that names the key the
 * caller wrote (when librdkafka's text names one), with librdkafka's text after it, scrubbed of the
 * configuration's secrets (the native error too).
 *
 * @param atCreation false: node-rdkafka's constructor threw (the native error is the `cause`);
 *   true: librdkafka refused to create the client in connect (the cause is an `ERR__STATE`
 *   AIOKafkaError, node-rdkafka's code for it, holding the native error).
 */
export function configRefusal(err: unknown, config: LibrdkafkaConfig, atCreation = false): InvalidArgumentError {
  if (err instanceof InvalidArgumentError) return err;
  const redact = redactorFor(config);
  if (redact !== undefined) redactError(err, redact);
  const text = nativeText(err);
  const named = namedProperty(text, config);
  const lead = named === undefined ? 'librdkafka refused the configuration' : refusedKey(config, named);
  const cause = atCreation ? new AIOKafkaError(`ERR__STATE: ${text}`, { code: 'ERR__STATE', cause: err }) : err;
  return new InvalidArgumentError(`${lead}: ${text}`, { cause });
}

/**
 * Refuses a value no librdkafka property takes: librdkafka parses strings (node-rdkafka turns
 * numbers and booleans into strings), and node-rdkafka would turn an object into
 * "[object Object]" and an array into its items joined with commas, without a word. Functions are
 * taken by callback properties only. The error names the key and the type, never the value. Then
 * refuses the values librdkafka takes but mishandles ({@link checkConfigHazards}).
 */
export function checkConfigValues(config: LibrdkafkaConfig, binding?: Pick<Binding, 'name' | 'callbackProperties'>): void {
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') continue;
    if (typeof value === 'function' && takesCallback(key)) {
      if (binding === undefined || binding.callbackProperties.has(canonicalName(key))) continue;
      throw callbackRefusal(key, binding);
    }
    const takes = takesCallback(key) ? 'a function or a boolean' : 'a string, a number or a boolean';
    throw new InvalidArgumentError(`config "${key}" must be ${takes}, got ${typeOfValue(value)}`);
  }
  checkConfigHazards(config);
}

/**
 * The error for a function under `key`, which `binding` takes none for: an
 * {@link UnsupportedByBindingError} naming the binding that does take one, if one does.
 */
function callbackRefusal(key: string, binding: Pick<Binding, 'name' | 'callbackProperties'>): InvalidArgumentError | UnsupportedByBindingError {
  const message = `config "${key}": ${binding.name} takes no function for it (only for ${[...binding.callbackProperties].join(', ')})`;
  const other = BINDING_NAMES.find((name) => name !== binding.name && CALLBACK_PROPERTIES[name].has(canonicalName(key)));
  if (other === undefined) return new InvalidArgumentError(message);
  return new UnsupportedByBindingError(`${message}; ${other} does (binding: '${other}')`, { binding: binding.name, supportedBy: other });
}

/**
 * Creates a native client of `binding` from `config` (after {@link checkConfigValues}), turning
 * librdkafka's refusal of it into {@link configRefusal}'s error.
 */
export function createWithConfig<T>(config: LibrdkafkaConfig, create: () => T, binding?: Pick<Binding, 'name' | 'callbackProperties'>): T {
  checkConfigValues(config, binding);
  try {
    return create();
  } catch (err) {
    throw configRefusal(err, config);
  }
}
