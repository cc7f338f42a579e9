/*
 * One lifecycle for every client (producer, consumer, admin): typed events over an EventEmitter,
 * connect with its deadline, close once and bounded by `timeoutMs`, `closed`, and the fatal
 * policy. A client extends ClientBase and brings its own mechanisms: what it does to connect
 * (through src/native/), what closing means for its work, what a fatal error stops.
 */
import { EventEmitter } from 'node:events';
import { ClientEvents } from './client-events';
import { defineAsyncDispose } from './dispose';
import type { AIOKafkaError } from './errors';
import { FatalState, type FatalSignals, type NativeLog } from './fatal';
import { CloseOnce } from './lifecycle';
import type { Logger } from './logger';
import { callTimeoutMs } from './validation';

/** Options of every client's `close()`. */
export interface CloseOptions {
  /**
   * How long close may take, in ms (`Infinity`: no limit). Whatever still runs at the limit is
   * given up: rejected with the client's closed error, native work left to finish in the background.
   * @default the client's `closeTimeoutMs` (30000)
   */
  timeoutMs?: number;
}

/** What the base needs from a client when it is made. */
export interface ClientSettings {
  /** The default of `close({ timeoutMs })`. */
  closeTimeoutMs: number;
  logger: Logger | undefined;
  /** Types what is reported: the native layer's error mapping. */
  typeError: (thrown: unknown, what: string) => AIOKafkaError;
  /** How the binding tells that librdkafka is fatally failed. */
  fatalSignals: FatalSignals;
}

/**
 * The base of every client. Each client narrows the EventEmitter methods to its event map (every
 * one has `error`, `log` and `stats`) in an interface of its own name: TypeScript merges such
 * overloads into a class with a concrete map only. Not exported from the package: its public
 * surface is each client's own.
 */
export abstract class ClientBase extends EventEmitter implements AsyncDisposable {
  /** Where the client reports: events, else the logger, else stderr (rate-limited). */
  protected readonly events: ClientEvents;
  readonly #closer = new CloseOnce();
  /** The fatal state (read it on a hot path: one getter, no closure). */
  protected readonly fatalState = new FatalState();
  readonly #signals: FatalSignals;
  readonly #closeTimeoutMs: number;
  /** connect() failed: nobody holds this client. */
  #failed = false;

  protected constructor(settings: ClientSettings) {
    super();
    this.events = new ClientEvents(this, settings.logger, settings.typeError);
    this.#signals = settings.fatalSignals;
    this.#closeTimeoutMs = settings.closeTimeoutMs;
  }

  /** Whether `close()` has been called, or a fatal error stopped the client (or it never connected). */
  get closed(): boolean {
    return this.#closer.started || this.#failed || this.fatalState.error !== undefined;
  }

  /** Whether `close()` has begun (a fatal error alone does not close: close() still releases the client). */
  protected get closing(): boolean {
    return this.#closer.started;
  }

  /** The fatal error that stopped the client, once one came. */
  protected get fatalError(): AIOKafkaError | undefined {
    return this.fatalState.error;
  }

  /**
   * Connects with `connect` (bounded by the client's connect timeout). While it runs, what would
   * go to stderr is held back; if it fails, nothing is reported (the rejection says it) and the
   * client counts as closed.
   */
  protected async openWith(connect: () => Promise<void>): Promise<void> {
    this.events.hold();
    try {
      await connect();
    } catch (err) {
      this.#failed = true;
      // Nobody holds this client: librdkafka's attempt that runs out in the background stays quiet.
      this.events.mute();
      throw err;
    }
    this.events.open();
  }

  /**
   * Closes the client, once: every call returns the same Promise, which resolves by `timeoutMs`
   * whatever is still running (see each client's `close`).
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#closer.run(
      () => callTimeoutMs('close', options?.timeoutMs, this.#closeTimeoutMs),
      (timeoutMs) => this.closeClient(timeoutMs),
    );
  }

  /** `await using client = await X.connect(...)`: closes with the default timeout. */
  declare [Symbol.asyncDispose]: () => Promise<void>;
  static {
    defineAsyncDispose(this.prototype, function (this: ClientBase) {
      return this.close();
    });
  }

  /** The client's close, run once, with the limit checked; resolves by `timeoutMs`. */
  protected abstract closeClient(timeoutMs: number): Promise<void>;

  /** What a fatal error stops (called once, when it is entered; may run inside an unrelated call). */
  protected abstract onFatal(err: AIOKafkaError): void;

  /**
   * A fatal librdkafka error, whatever said it: the client enters its fatal state once
   * ({@link ClientBase.onFatal}) and announces it as `error` once, in a microtask (it may have
   * been met inside a call).
   */
  protected enterFatal(err: AIOKafkaError): void {
    if (this.fatalState.enter(err)) this.onFatal(err);
    const announced = this.fatalState.announce(err);
    if (announced !== undefined) queueMicrotask(() => this.events.error(announced, 'librdkafka is fatally failed'));
  }

  /** The binding's client error event: a fatal one enters the fatal state; librdkafka's echo of it is dropped. */
  protected clientError(err: unknown): void {
    const typed = this.#signals.clientError(err, this.fatalState.error !== undefined);
    if (typed === undefined) return;
    if (typed.fatal) this.enterFatal(typed);
    // A fatal error is announced once, by enterFatal; later ones are reported as they come.
    if (!typed.fatal || this.fatalState.error !== typed) this.events.error(typed, 'client error');
  }

  /** The binding's log line: a FATAL one stops the client at once; every line goes to `log` and the logger. */
  protected nativeLog(log: NativeLog): void {
    const fatal = this.#signals.fromLog(log);
    if (fatal !== undefined) this.enterFatal(fatal);
    this.events.log(log);
  }
}
