/*
 * Child process of the web load test: the load generator (autocannon), kept apart from the
 * server so that it does not share the server's event loop. Serves one run per IPC message
 * {type:'run', url, connections, durationSec} with {type:'run-result', ...}; exits on 'stop'.
 */
import autocannon from 'autocannon';

/** One autocannon run, reduced to what the report needs. */
export interface LoadResult {
  connections: number;
  durationSec: number;
  requests: number;
  requestsPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Share of the run the load generator spent runnable but waiting for a CPU (its core shared). */
  runQueueWaitShare?: number;
}

const BODY = JSON.stringify({ name: 'x'.repeat(88) }); // 100 bytes

function run(url: string, connections: number, durationSec: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        connections,
        duration: durationSec,
        timeout: 10,
      },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        resolve({
          connections,
          durationSec,
          requests: result.requests.total,
          requestsPerSec: result.requests.total / (result.duration || durationSec),
          latencyP50Ms: result.latency.p50,
          latencyP99Ms: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
  });
}

process.on('message', (msg: { type: string; url?: string; connections?: number; durationSec?: number }) => {
  if (msg.type === 'stop') {
    process.exit(0);
  } else if (msg.type === 'run') {
    run(msg.url!, msg.connections!, msg.durationSec!).then(
      (result) => process.send!({ type: 'run-result', result }),
      (err: Error) => process.send!({ type: 'run-result', error: err.message }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
