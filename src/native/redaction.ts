/*
 * Keeping secrets out of messages. The values of librdkafka's sensitive properties (passwords,
 * private keys and their paths, PEMs, OAuth secrets) and of keys librdkafka does not know (a
 * misspelt `sasl.pasword` is exactly when the value is a secret) never appear in an error's
 * message or cause, a log line, stderr or a tracing payload: our own messages name the key and
 * never the value, and what librdkafka writes (its refusals, its log lines, its error events,
 * which can quote a file path or a piece of `sasl.oauthbearer.config`) is scrubbed here before
 * anything else sees it.
 */
import { BACKGROUND_POLL_PROPERTY } from './background-poll';
import type { LibrdkafkaConfig } from './config';
import { isLibrdkafkaProperty, isSensitiveProperty } from './property-index';

/** Turns a text into the same text with every secret of one configuration replaced. */
export type Redact = (text: string) => string;

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * The shortest piece of a secret that is scrubbed from librdkafka's texts: shorter ones would
 * blank out ordinary words (librdkafka never quotes a password itself; it quotes paths and pieces
 * of `sasl.oauthbearer.config`).
 */
const MIN_PIECE = 4;

/** Keys this package sets itself, whose values are no secret. */
const OWN_KEYS: ReadonlySet<string> = new Set([BACKGROUND_POLL_PROPERTY, 'event_cb']);

/** Whether the value of `key` must never be shown: librdkafka marks it sensitive, or does not know the key. */
export function isSecretKey(key: string): boolean {
  return isSensitiveProperty(key) || (!isLibrdkafkaProperty(key) && !OWN_KEYS.has(key));
}

/** The texts to scrub for one value: the whole of it and its words, longest first. */
function piecesOf(value: unknown): string[] {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return [];
  const whole = String(value).trim();
  return [whole, ...whole.split(/[\s,;=&:"'()[\]{}<>]+/)].filter(
    (piece) => piece.length >= MIN_PIECE && piece.toLowerCase() !== 'true' && piece.toLowerCase() !== 'false',
  );
}

/**
 * The redactor of `config`: scrubs the values of its sensitive and unknown keys; undefined when
 * it has none (then nothing needs scrubbing).
 */
export function redactorFor(config: LibrdkafkaConfig): Redact | undefined {
  const pieces = new Set<string>();
  for (const [key, value] of Object.entries(config)) {
    if (isSecretKey(key)) for (const piece of piecesOf(value)) pieces.add(piece);
  }
  if (pieces.size === 0) return undefined;
  const ordered = [...pieces].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const piece of ordered) if (out.includes(piece)) out = out.split(piece).join(REDACTED);
    return out;
  };
}

/**
 * Scrubs an error in place: its message, stack and other texts, and those of its `cause` chain.
 * For errors this package was handed (node-rdkafka's), before anyone else sees them.
 */
export function redactError(err: unknown, redact: Redact): void {
  const seen = new Set<object>();
  for (let e: unknown = err; typeof e === 'object' && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const record = e as Record<string, unknown>;
    for (const key of new Set([...Object.keys(record), 'message', 'stack'])) {
      const text = record[key];
      if (typeof text !== 'string') continue;
      const clean = redact(text);
      if (clean === text) continue;
      try {
        record[key] = clean;
      } catch {
        // A read-only text: nothing we can do; messages we build never hold the value.
      }
    }
  }
}
