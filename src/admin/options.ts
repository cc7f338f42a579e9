import { loggerOption, type Logger } from '../core/logger';
import { checkOptionsObject, durationOption } from '../core/validation';
import { bindingOption, type BindingOption } from '../native/loader';

/** Options of {@link AIOAdmin.connect}: the names and meanings every client shares, and the admin's own. */
export interface AIOAdminOptions {
  /**
   * The native binding the admin runs on: `'node-rdkafka'`, `'@confluentinc/kafka-javascript'`
   * (which has more admin calls: docs/api.md has the table), or one of those modules itself.
   * @default the `AIO_BINDING` environment variable if set, else node-rdkafka if it loads, else CKJS
   */
  binding?: BindingOption;
  /**
   * How long `connect()` waits for the cluster: it opens a connection, fetches the metadata and
   * reads which requests the cluster serves; an unreachable cluster fails it (naming the brokers),
   * as it fails the producer's and the consumer's.
   * @default 30000
   */
  connectTimeoutMs?: number;
  /**
   * The default of `close({ timeoutMs })`: how long close waits for the call in flight.
   * @default 30000
   */
  closeTimeoutMs?: number;
  /**
   * The default time limit of each call (`createTopic`, `listTopics`, ...), in ms (`Infinity`: no
   * limit); each call may pass its own (`{ timeoutMs }`).
   * @default 30000
   */
  callTimeoutMs?: number;
  /**
   * Receives librdkafka's log lines (level from their syslog severity) and the admin client's own
   * warnings (a call that answered after its time limit), instead of stderr: with a logger nothing
   * is written to stderr. pino and `console` fit as they are. The AdminClient itself hands no log
   * lines to JavaScript; the lines come from the short-lived clients the admin
   * opens to the cluster (at connect, and for metadata and offsets).
   * @default none: warnings go to stderr, rate-limited
   */
  logger?: Logger;
}

/** {@link AIOAdminOptions} checked, defaults filled in. */
export interface ResolvedAdminOptions {
  /** As given (checked, not loaded): the binding is loaded by connect. */
  binding: BindingOption | undefined;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  callTimeoutMs: number;
  logger: Logger | undefined;
}

/** Checks the options of `AIOAdmin.connect`. */
export function resolveAdminOptions(options: AIOAdminOptions): ResolvedAdminOptions {
  checkOptionsObject(options);
  return {
    binding: bindingOption('option binding', options.binding),
    connectTimeoutMs: durationOption('option connectTimeoutMs', options.connectTimeoutMs, 30_000),
    closeTimeoutMs: durationOption('option closeTimeoutMs', options.closeTimeoutMs, 30_000),
    callTimeoutMs: durationOption('option callTimeoutMs', options.callTimeoutMs, 30_000),
    logger: loggerOption(options.logger),
  };
}
