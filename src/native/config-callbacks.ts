/*
 * The callback properties (librdkafka's pointer properties) a JavaScript binding takes a function
 * for, as the public configurations type them. librdkafka-config.ts (generated) lists each
 * pointer property of librdkafka's that is named here; the others take C pointers only, and a
 * function given for one is refused when the client is created (src/native/config-refusal.ts).
 *
 * `dr_cb`, `dr_msg_cb` (the producer's delivery reports), `rebalance_cb` and `offset_commit_cb`
 * (the consumer's rebalances and commits) are not here: the clients own them.
 */

/** A SASL/OAUTHBEARER token, as {@link OAuthBearerTokenRefresh} gives it. */
export interface OAuthBearerToken {
  /** The token (a JWT, for most identity providers). */
  tokenValue: string;
  /** When the token expires, in milliseconds since the epoch. */
  lifetime: number;
  /** The principal the token is for; '' when not given. */
  principal?: string;
  /** SASL extensions (key → value) sent with the token. */
  extensions?: Record<string, string> | Map<string, string>;
}

/**
 * Fetches a new OAUTHBEARER token when librdkafka asks for one (at connect, and before the last
 * one expires): returns it in a promise, or passes it to `done`. A rejection or an error fails
 * the refresh, and the client reports it as a client error.
 * @param oauthbearerConfig the `sasl.oauthbearer.config` property, as configured.
 */
export type OAuthBearerTokenRefresh = (
  oauthbearerConfig: string,
  done: (err: Error | null, token?: OAuthBearerToken) => void,
) => void | Promise<OAuthBearerToken>;

/** The callback properties a JavaScript binding takes, by librdkafka's name. */
export interface LibrdkafkaCallbacks {
  /**
   * SASL/OAUTHBEARER token refresh callback (librdkafka's
   * `rd_kafka_conf_set_oauthbearer_token_refresh_cb()`): see {@link OAuthBearerTokenRefresh}.
   * On CKJS only: node-rdkafka 3.6 takes no function for it, and the client refuses it there with
   * `UnsupportedByBindingError`; on node-rdkafka use `sasl.oauthbearer.method: 'oidc'` or
   * `enable.sasl.oauthbearer.unsecure.jwt`.
   */
  oauthbearer_token_refresh_cb: OAuthBearerTokenRefresh;
}
