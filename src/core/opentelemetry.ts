/*
 * `@opentelemetry/api`, when the application has it installed: an optional peer dependency,
 * loaded lazily, once, and never required. Each file that uses it declares, structurally, the few
 * members it calls, so that the package's type declarations do not depend on the package.
 */

let api: object | null | undefined;

/**
 * `@opentelemetry/api` as the part `Api` the caller declares, or null when the application does
 * not have it.
 */
export function openTelemetry<Api extends object>(): Api | null {
  if (api === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      api = require('@opentelemetry/api') as object;
    } catch {
      api = null;
    }
  }
  return api as Api | null;
}
