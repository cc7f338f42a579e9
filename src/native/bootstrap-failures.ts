/**
 * What librdkafka says, while a client connects, about each bootstrap broker it cannot reach.
 * librdkafka logs every failed attempt (facility `FAIL`, before any poll), e.g.
 * `127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in
 * state CONNECT)` or `... Failed to resolve 'nohost:9092': Name or service not known ...`, and
 * folds repeats into "N identical error(s) suppressed". Waiting out the connect timeout would
 * tell the user nothing more; these lines name the address and the cause.
 */
export class BootstrapFailures {
  readonly #servers: ReadonlySet<string>;
  readonly #attempts: number;
  /** broker → failed attempts, and librdkafka's last word on it. */
  readonly #failures = new Map<string, { count: number; reason: string }>();

  /**
   * @param bootstrapServers the `bootstrap.servers` list.
   * @param attempts failed attempts per broker after which it counts as unreachable.
   */
  constructor(bootstrapServers: string, attempts = 2) {
    this.#servers = new Set(
      bootstrapServers
        .split(',')
        .map((server) => server.trim().replace(/^[a-z_]+:\/\//i, ''))
        .filter((server) => server !== '')
        // librdkafka names a broker given without a port by its default one.
        .map((server) => (/:\d+$/.test(server) ? server : `${server}:9092`)),
    );
    this.#attempts = attempts;
  }

  /** Notes a log line; true once every bootstrap broker has failed `attempts` times. */
  note(log: { fac: string; message: string }): boolean {
    if (log.fac !== 'FAIL') return false;
    // librdkafka names brokers reached over TLS or SASL `ssl://host:port`, `sasl_ssl://...`.
    const match = /(?:[a-z_]+:\/\/)?(\S+)\/bootstrap: (.*?)(?: \(after \d+ms in state \w+(?:, (\d+) identical error\(s\) suppressed)?\))?$/.exec(log.message);
    if (match === null) return false;
    const [, broker, reason, suppressed] = match as unknown as [string, string, string, string | undefined];
    const seen = this.#failures.get(broker) ?? { count: 0, reason };
    seen.count += 1 + (suppressed === undefined ? 0 : Number(suppressed));
    seen.reason = reason;
    this.#failures.set(broker, seen);
    return this.unreachable;
  }

  /** Whether every bootstrap broker failed often enough to count as unreachable. */
  get unreachable(): boolean {
    if (this.#servers.size === 0) return false;
    for (const server of this.#servers) {
      if ((this.#failures.get(server)?.count ?? 0) < this.#attempts) return false;
    }
    return true;
  }

  /** The failures seen, one per broker (`host:port: reason`), or '' when there were none. */
  describe(): string {
    return [...this.#failures].map(([broker, { reason }]) => `${broker}: ${reason}`).join('; ');
  }
}
