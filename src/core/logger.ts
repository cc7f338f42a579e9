/*
 * The `logger` option of the producer and the consumer: any object with pino's or console's four
 * level methods.
 */
import { InvalidArgumentError } from './errors';
import { describe } from './validation';

/**
 * Where a client writes librdkafka's log lines and its own events when one is given, instead of
 * stderr. pino, bunyan, winston and `console` fit as they are: each method is called with the
 * fields first and the message second (pino's order; console prints both).
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const producer = await AIOProducer.connect(config, { logger: pino() });
 * const quiet = await AIOProducer.connect(config, { logger: console });
 * ```
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A {@link Logger} level. */
export type LogLevel = keyof Logger;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Checks a `logger` option: absent, or an object with the four level methods. */
export function loggerOption(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'object' && value !== null && LEVELS.every((level) => typeof (value as Record<string, unknown>)[level] === 'function');
  if (!ok) throw new InvalidArgumentError(`option logger must have debug, info, warn and error methods (pino, console), got ${describe(value)}`);
  return value as Logger;
}

/** The logger level of a syslog severity (librdkafka's): 0-3 error, 4 warn, 5-6 info, 7 debug. */
export function levelOfSeverity(severity: number): LogLevel {
  if (severity <= 3) return 'error';
  if (severity === 4) return 'warn';
  if (severity <= 6) return 'info';
  return 'debug';
}

/** Calls the logger, never letting its throw escape into the client. */
export function writeLog(logger: Logger, level: LogLevel, fields: Record<string, unknown>, message: string): void {
  try {
    logger[level](fields, message);
  } catch {
    // A logger that throws has nowhere left to report to.
  }
}
