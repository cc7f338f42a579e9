import { loggerOption, type Logger } from '../core/logger';
import { checkOptionsObject, durationOption } from '../core/validation';

/** Options of {@link AIOAdmin.connect}. */
export interface AIOAdminOptions {
  /**
   * Default time limit of every call, in ms (`Infinity`: no limit); each call may pass its own.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Receives librdkafka's log lines (level from their syslog severity) from the first connection
   * attempt of every call on, and the admin client's own warnings (a call that answered after its
   * time limit), instead of stderr: with a logger nothing is written to stderr. pino and `console`
   * fit as they are. node-rdkafka 3.6's AdminClient itself hands no log lines to JavaScript; the
   * lines come from the short-lived clients the admin opens to the cluster (metadata, offsets,
   * and the ApiVersions check of the topic calls).
   * @default none: warnings go to stderr, rate-limited
   */
  logger?: Logger;
}

/** {@link AIOAdminOptions} checked, defaults filled in. */
export interface ResolvedAdminOptions {
  timeoutMs: number;
  logger: Logger | undefined;
}

/** Checks the options of `AIOAdmin.connect`. */
export function resolveAdminOptions(options: AIOAdminOptions): ResolvedAdminOptions {
  checkOptionsObject(options);
  return {
    timeoutMs: durationOption('option timeoutMs', options.timeoutMs, 30_000),
    logger: loggerOption(options.logger),
  };
}
