/** Waits until `predicate()` holds (polling every 20 ms); rejects naming `what` after `timeoutMs`. */
export function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = (): void => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for: ${what}`));
      else setTimeout(check, 20);
    };
    check();
  });
}
