/*
 * Which Kafka requests the cluster serves, as its ApiVersions answer lists them. node-rdkafka
 * does not expose that answer, but librdkafka logs it (facility APIVERSION, with `debug` set to
 * `feature`) on every connection:
 *
 *   127.0.0.1:40123/bootstrap: Broker API support:
 *   127.0.0.1:40123/bootstrap:   ApiKey Produce (0) Versions 0..10
 *   ...
 *   127.0.0.1:40123/bootstrap:  Feature MsgVer1: Produce (2..32767) supported by broker
 *
 * A request the list lacks would never be answered: librdkafka waits for a broker that serves it
 * until the call's timeout (that is what librdkafka's mock cluster does with CreateTopics), so the
 * admin client refuses such a call at once instead.
 */
import { UnsupportedByClusterError } from '../core/errors';

/** What librdkafka logs while a client connects, as far as this file reads it. */
export interface ApiVersionLog {
  fac: string;
  message: string;
}

/** The requests one broker said it serves: name → [min, max] version. */
export interface BrokerApis {
  /** The broker that answered, as librdkafka names it (`host:port/id` or `host:port/bootstrap`). */
  readonly broker: string;
  readonly apis: ReadonlyMap<string, readonly [number, number]>;
}

/** librdkafka starts each line with the thread that logged it: `[thrd:127.0.0.1:40123/bootstrap]: `. */
const THREAD = /^\[thrd:[^\]]*\]: /;
const HEADER = /^(\S+): Broker API support:$/;
const API_KEY = /^(\S+): {3}ApiKey (\w+) \(\d+\) Versions (-?\d+)\.\.(-?\d+)$/;
const OF_BROKER = /^(\S+): /;

/**
 * Reads librdkafka's APIVERSION lines until one broker's list is complete (the first line of that
 * broker after its `ApiKey` lines ends it).
 */
export class ApiVersionsReader {
  #broker: string | undefined;
  #apis = new Map<string, readonly [number, number]>();
  #result: BrokerApis | undefined;
  readonly #onComplete: (apis: BrokerApis) => void;

  constructor(onComplete: (apis: BrokerApis) => void) {
    this.#onComplete = onComplete;
  }

  /** The first complete list, once there is one. */
  get result(): BrokerApis | undefined {
    return this.#result;
  }

  /** Notes a log line. */
  note(log: ApiVersionLog): void {
    if (this.#result !== undefined || log.fac !== 'APIVERSION') return;
    const line = log.message.replace(THREAD, '');
    const header = HEADER.exec(line);
    if (header !== null) {
      this.#broker = header[1];
      this.#apis = new Map();
      return;
    }
    if (this.#broker === undefined) return;
    const key = API_KEY.exec(line);
    if (key !== null && key[1] === this.#broker) {
      this.#apis.set(key[2]!, [Number(key[3]), Number(key[4])]);
      return;
    }
    if (OF_BROKER.exec(line)?.[1] === this.#broker && this.#apis.size > 0) {
      this.#result = { broker: this.#broker, apis: this.#apis };
      this.#onComplete(this.#result);
    }
  }
}

/** Throws {@link UnsupportedByClusterError} when `known` says the broker does not serve `api`. */
export function requireApi(what: string, api: string, known: BrokerApis | undefined): void {
  if (known === undefined || known.apis.has(api)) return;
  throw new UnsupportedByClusterError(
    `${what}: the cluster does not serve ${api} requests (broker ${known.broker} does not list ${api} in its ApiVersions answer), ` +
      `so the call was not sent; librdkafka's mock cluster, for one, implements no CreateTopics, DeleteTopics or CreatePartitions`,
    api,
  );
}
