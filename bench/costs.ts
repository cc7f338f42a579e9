/*
 * Scenario 3: the costs users ask about. Idle CPU of a connected producer; memory per in-flight
 * message (cluster paused so that messages stay in flight); one producer vs pools under the same
 * concurrent load; poll interval vs latency and CPU. One child process per measurement.
 */
import type { ChildProcess } from 'node:child_process';
import {
  CORES,
  attempter,
  captureEnvironment,
  describeConfig,
  librdkafkaConfig,
  medianOf,
  pick,
  progress,
  runChild,
  startBroker,
  writeResult,
  KEY_BYTES,
  VALUE_BYTES,
  type Broker,
  type ChildMessage,
} from './harness';

const SCENARIO = 'costs';

export interface IdleRow {
  client: string;
  seconds: number;
  cpuSeconds: number;
  cpuPercentOfCore: number;
}
export interface MemoryRow {
  variant: string;
  inFlight: number;
  heapBytesPerMessage: number;
  rssBytesPerMessage: number;
  externalBytesPerMessage: number;
  /** RSS per message minus the 116-byte payload. */
  rssBytesAbovePayload: number;
  failed: number;
  drainSeconds: number;
}
export interface PoolRow {
  producers: number;
  concurrency: number;
  messages: number;
  failed: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
}
export interface PollRow {
  pollIntervalMs: number;
  ratePerSec: number;
  messages: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  cpuPercentOfCore: number;
  cpuSecondsPer100k: number;
}

export interface CostsResult {
  scenario: 'costs';
  environment: ReturnType<typeof captureEnvironment>;
  config: string;
  method: Record<string, unknown>;
  idle: IdleRow[];
  memory: MemoryRow[];
  pools: PoolRow[];
  poll: PollRow[];
  errors: Array<{ what: string; error: string }>;
}

/**
 * Memory per in-flight message of one variant (costs-child.ts `memory`): `inFlight` messages
 * produced while the mock cluster is paused, so that none of them can be delivered meanwhile.
 */
export async function measureMemory(broker: Broker, variant: string, inFlight: number): Promise<MemoryRow> {
  const r = await runChild<Omit<MemoryRow, 'rssBytesAbovePayload'>>('costs-child', ['memory', variant, broker.bootstrapServers, String(inFlight)], {
    cpu: CORES.subject,
    nodeFlags: ['--expose-gc'],
    onMessage: (msg: ChildMessage, child: ChildProcess) => {
      // pause()/resume() may return a Promise (resolved once the signal took effect).
      if (msg.type === 'pause-please') {
        void Promise.resolve(broker.cluster?.pause()).then(() => child.send({ type: 'paused' }));
      } else if (msg.type === 'resume-please') {
        void Promise.resolve(broker.cluster?.resume()).then(() => child.send({ type: 'resumed' }));
      }
    },
  });
  return { ...r, rssBytesAbovePayload: Math.round(r.rssBytesPerMessage - VALUE_BYTES - KEY_BYTES) };
}

export async function runCosts(givenBroker?: Broker): Promise<CostsResult> {
  const idleSeconds = pick({ full: 30, quick: 10, smoke: 1 });
  const inFlight = pick({ full: 100_000, quick: 100_000, smoke: 500 });
  const poolMessages = pick({ full: 60_000, quick: 20_000, smoke: 300 });
  const poolConcurrency = pick({ full: 1000, quick: 1000, smoke: 50 });
  const poolRepeats = pick({ full: 3, quick: 1, smoke: 1 });
  const pollSeconds = pick({ full: 5, quick: 2, smoke: 1 });
  const pollRate = pick({ full: 2000, quick: 2000, smoke: 500 });
  const broker = givenBroker ?? (await startBroker());
  const errors: CostsResult['errors'] = [];
  const attempt = attempter(SCENARIO, errors);
  const idle: IdleRow[] = [];
  const memory: MemoryRow[] = [];
  const pools: PoolRow[] = [];
  const poll: PollRow[] = [];
  try {
    progress(SCENARIO, `idle CPU: AIOProducer and a raw node-rdkafka Producer, ${idleSeconds} s each, side by side`);
    const idleRuns = await Promise.all(
      ['aio', 'raw'].map((client) =>
        attempt(`idle ${client}`, () =>
          runChild<IdleRow>('costs-child', ['idle', client, broker.bootstrapServers, String(idleSeconds)], { cpu: CORES.subject }),
        ),
      ),
    );
    for (const r of idleRuns) if (r) idle.push(r);
    for (const r of idle) progress(SCENARIO, `  idle ${r.client}: ${r.cpuPercentOfCore}% of a core`);

    for (const variant of pick({ full: ['aio-produce', 'aio-ff', 'raw-promise', 'raw-ff'], quick: ['aio-produce', 'aio-ff', 'raw-promise', 'raw-ff'], smoke: ['aio-produce'] })) {
      progress(SCENARIO, `memory: ${inFlight} in flight, ${variant} (cluster paused)`);
      const r = await attempt(`memory ${variant}`, () => measureMemory(broker, variant, inFlight));
      if (r) {
        memory.push(r);
        progress(SCENARIO, `  ${variant}: heap ${r.heapBytesPerMessage} B/msg, RSS ${r.rssBytesPerMessage} B/msg`);
      }
    }

    for (const size of pick({ full: [1, 2, 4, 8], quick: [1, 2, 4, 8], smoke: [1, 2] })) {
      const runs: PoolRow[] = [];
      for (let rep = 0; rep < poolRepeats; rep++) {
        const r = await attempt(`pool ${size}`, () =>
          runChild<PoolRow>('costs-child', ['pool', String(size), broker.bootstrapServers, String(poolMessages), String(poolConcurrency)], {
            cpu: CORES.subject,
          }),
        );
        if (r) runs.push(r);
      }
      if (runs.length > 0) {
        const m = medianOf(runs as unknown as Record<string, unknown>[]) as unknown as PoolRow;
        pools.push(m);
        progress(SCENARIO, `pool of ${size}: ${Math.round(m.messagesPerSec)} msg/s p50 ${m.p50Ms} ms p99 ${m.p99Ms} ms`);
      }
    }

    for (const interval of pick({ full: [0, 1, 5, 20, 100], quick: [0, 1, 5, 20, 100], smoke: [0, 100] })) {
      const r = await attempt(`poll ${interval}`, () =>
        runChild<PollRow>('costs-child', ['poll', String(interval), broker.bootstrapServers, String(pollSeconds), String(pollRate)], {
          cpu: CORES.subject,
        }),
      );
      if (r) {
        poll.push(r);
        progress(SCENARIO, `pollIntervalMs=${interval}: p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms, ${r.cpuPercentOfCore}% of a core`);
      }
    }
  } finally {
    if (givenBroker === undefined) await broker.stop();
  }
  const result: CostsResult = {
    scenario: 'costs',
    environment: captureEnvironment(),
    config: describeConfig(librdkafkaConfig('')),
    method: {
      idle: `connected, one message produced, then ${idleSeconds} s with nothing to do; process.cpuUsage() / wall time; AIOProducer default options; raw = node-rdkafka Producer with no poll timer`,
      memory: `${inFlight} messages produced while the mock cluster is paused (SIGSTOP); process.memoryUsage() after 500 ms and gc(), minus before; payload = ${VALUE_BYTES + KEY_BYTES} bytes (value + key; the same Buffers are reused, librdkafka copies them)`,
      pools: `${poolConcurrency} concurrent awaiting callers, ${poolMessages} messages, caller i uses producer i mod N; median of ${poolRepeats}`,
      poll: `awaited produce at a fixed ${pollRate} msg/s for ${pollSeconds} s (after a 1 s warm-up), linger.ms as in the shared config`,
    },
    idle,
    memory,
    pools,
    poll,
    errors,
  };
  writeResult('costs', result);
  return result;
}

if (require.main === module) {
  runCosts().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
