/** Records whether a promise settled, and how, without awaiting it (for tests on fake timers). */
export function track<T>(promise: Promise<T>): { settled: () => boolean; value: () => T | undefined; error: () => unknown } {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => ((settled = true), (value = v)),
    (e) => ((settled = true), (error = e)),
  );
  return { settled: () => settled, value: () => value, error: () => error };
}
