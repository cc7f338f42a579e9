/*
 * Child process of the peers scenario: one client, one measurement, so that CPU time belongs to
 * that client alone. Runs under the repository's Node, or under Node 24 for @platformatic/kafka.
 *
 * argv: one JSON object, a ChildTask. result: the matching *Run type.
 */
import { childMain, cpuSecondsSince, latencySummary, peakRssMiB, round, sleep, threadCpuSeconds, type ThreadCpu } from './harness';
import { BATCH_SIZE, PEERS, openPeer, settingsOf, type PeerId, type PeerProducer } from './peer-clients';

export type ChildTask =
  | { mode: 'latency'; client: PeerId; bootstrap: string; lingers: number[]; messages: number; warmup: number; topic: string }
  | { mode: 'idle'; client: PeerId; bootstrap: string; lingerMs: number; seconds: number; settleSeconds: number; topic: string }
  | { mode: 'steady'; client: PeerId; bootstrap: string; lingers: number[]; rate: number; seconds: number; warmupSeconds: number; topic: string }
  | { mode: 'pipelined'; client: PeerId; bootstrap: string; lingerMs: number; messages: number; warmup: number; window: number; topic: string };

export interface LatencyRun {
  /** AIOProducer clients: whether the background poll was on. */
  backgroundPoll?: boolean;
  lingerMs: number;
  settings: string;
  messages: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}
export interface IdleRun {
  /** AIOProducer clients: whether the background poll was on. */
  backgroundPoll?: boolean;
  settings: string;
  seconds: number;
  cpuSeconds: number;
  cpuPercentOfCore: number;
  /** The same CPU by kind of thread, % of a core (Linux only). */
  threadsPercentOfCore?: ThreadCpu;
}
export interface SteadyRun {
  /** AIOProducer clients: whether the background poll was on. */
  backgroundPoll?: boolean;
  lingerMs: number;
  settings: string;
  messages: number;
  failed: number;
  /** Messages sent per second of the measured window, as scheduled. */
  achievedRate: number;
  cpuMicrosPerMessage: number;
  cpuPercentOfCore: number;
  p50Ms: number;
  p99Ms: number;
}
export interface PipelinedRun {
  /** AIOProducer clients: whether the background poll was on. */
  backgroundPoll?: boolean;
  settings: string;
  messages: number;
  failed: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSecondsPer100k: number;
  peakRssMiB: number;
}

const now = (): number => performance.now();

/** Awaits `n` sends one after another; latency of each in ms. */
async function sequential(p: PeerProducer, topic: string, n: number, first: number): Promise<Float64Array> {
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = now();
    await p.send(topic, first + i, 1);
    lat[i] = now() - t;
  }
  return lat;
}

async function latency(task: Extract<ChildTask, { mode: 'latency' }>): Promise<LatencyRun[]> {
  const runs: LatencyRun[] = [];
  for (const lingerMs of task.lingers) {
    const p = await openPeer(task.client, task.bootstrap, lingerMs);
    try {
      const topic = `${task.topic}-l${lingerMs}`;
      await sequential(p, topic, task.warmup, 0);
      await sleep(100);
      const s = latencySummary(await sequential(p, topic, task.messages, task.warmup));
      runs.push({ backgroundPoll: p.backgroundPoll, lingerMs, settings: settingsOf(task.client, lingerMs), messages: task.messages, p50Ms: round(s.p50, 4), p99Ms: round(s.p99, 4), maxMs: round(s.max) });
    } finally {
      await p.close();
    }
  }
  return runs;
}

async function idle(task: Extract<ChildTask, { mode: 'idle' }>): Promise<IdleRun> {
  const p = await openPeer(task.client, task.bootstrap, task.lingerMs);
  try {
    await p.send(task.topic, 0, 1);
    // Let connection set-up, and V8's own work after start-up, settle before measuring (see settleSeconds in peers.ts).
    await sleep(task.settleSeconds * 1000);
    const threads0 = threadCpuSeconds();
    const cpu = process.cpuUsage();
    const t0 = now();
    await sleep(task.seconds * 1000);
    // Read before the process's CPU: the reading of /proc counts in both, not in the threads alone.
    const threads1 = threadCpuSeconds();
    const cpuSeconds = cpuSecondsSince(cpu);
    const wall = (now() - t0) / 1000;
    const pct = (seconds: number): number => round((seconds / wall) * 100, 4);
    const threadsPercentOfCore =
      threads0 && threads1
        ? { main: pct(threads1.main - threads0.main), node: pct(threads1.node - threads0.node), librdkafka: pct(threads1.librdkafka - threads0.librdkafka) }
        : undefined;
    return {
      backgroundPoll: p.backgroundPoll,
      settings: settingsOf(task.client, task.lingerMs),
      seconds: round(wall),
      cpuSeconds: round(cpuSeconds, 5),
      cpuPercentOfCore: pct(cpuSeconds),
      ...(threadsPercentOfCore ? { threadsPercentOfCore } : {}),
    };
  } finally {
    await p.close();
  }
}

/**
 * Awaited sends at a fixed rate for `seconds`: a 1 ms timer sends as many as the schedule owes
 * (so timer jitter does not change the rate), every send awaited on its own. CPU from the first
 * send until the last settled, divided by the messages.
 */
async function steadyOnce(p: PeerProducer, topic: string, rate: number, seconds: number, first: number) {
  const total = Math.round(rate * seconds);
  const lat = new Float64Array(total);
  let sent = 0;
  let failed = 0;
  const pending: Array<Promise<void>> = [];
  const cpu = process.cpuUsage();
  const t0 = now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((now() - t0) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        const i = sent;
        const t = now();
        pending.push(
          p.send(topic, first + i, 1).then(
            () => void (lat[i] = now() - t),
            () => void ((lat[i] = NaN), failed++),
          ),
        );
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  const sendSeconds = (now() - t0) / 1000;
  await Promise.all(pending);
  const wall = (now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  return { total, failed, lat: lat.filter((v) => !Number.isNaN(v)), sendSeconds, wall, cpuSeconds };
}

async function steady(task: Extract<ChildTask, { mode: 'steady' }>): Promise<SteadyRun[]> {
  const runs: SteadyRun[] = [];
  for (const lingerMs of task.lingers) {
    const p = await openPeer(task.client, task.bootstrap, lingerMs);
    try {
      const topic = `${task.topic}-l${lingerMs}`;
      if (task.warmupSeconds > 0) await steadyOnce(p, topic, task.rate, task.warmupSeconds, 0);
      const r = await steadyOnce(p, topic, task.rate, task.seconds, Math.round(task.rate * task.warmupSeconds));
      const s = latencySummary(r.lat);
      runs.push({
        backgroundPoll: p.backgroundPoll,
        lingerMs,
        settings: settingsOf(task.client, lingerMs),
        messages: r.total,
        failed: r.failed,
        achievedRate: round(r.total / r.sendSeconds),
        cpuMicrosPerMessage: round((r.cpuSeconds / r.total) * 1e6, 2),
        cpuPercentOfCore: round((r.cpuSeconds / r.wall) * 100, 2),
        p50Ms: round(s.p50, 4),
        p99Ms: round(s.p99, 4),
      });
    } finally {
      await p.close();
    }
  }
  return runs;
}

/**
 * `window` concurrent loops, each awaiting one call at a time (one message, or BATCH_SIZE for the
 * batch clients, with window / BATCH_SIZE loops), until `n` messages have an outcome.
 */
async function pipelinedOnce(p: PeerProducer, topic: string, n: number, window: number, perCall: number, first: number) {
  const calls = Math.ceil(n / perCall);
  const lat = new Float64Array(calls);
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const c = next++;
      const count = Math.min(perCall, n - c * perCall);
      const t = now();
      try {
        failed += await p.send(topic, first + c * perCall, count);
      } catch {
        failed += count;
      }
      lat[c] = now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(calls, Math.floor(window / perCall))) }, worker));
  return { failed, lat };
}

async function pipelined(task: Extract<ChildTask, { mode: 'pipelined' }>): Promise<PipelinedRun> {
  const perCall = PEERS[task.client].kind === 'batch' ? BATCH_SIZE : 1;
  const p = await openPeer(task.client, task.bootstrap, task.lingerMs);
  try {
    await pipelinedOnce(p, task.topic, task.warmup, task.window, perCall, 0);
    await sleep(100);
    const cpu = process.cpuUsage();
    const t0 = now();
    const r = await pipelinedOnce(p, task.topic, task.messages, task.window, perCall, task.warmup);
    const elapsed = (now() - t0) / 1000;
    const cpuSeconds = cpuSecondsSince(cpu);
    const s = latencySummary(r.lat);
    const delivered = task.messages - r.failed;
    return {
      backgroundPoll: p.backgroundPoll,
      settings: settingsOf(task.client, task.lingerMs),
      messages: task.messages,
      failed: r.failed,
      messagesPerSec: round(delivered / elapsed),
      p50Ms: round(s.p50),
      p99Ms: round(s.p99),
      cpuSecondsPer100k: round((cpuSeconds / Math.max(1, delivered)) * 100_000),
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await p.close();
  }
}

async function main(): Promise<unknown> {
  const task = JSON.parse(process.argv[2]!) as ChildTask;
  switch (task.mode) {
    case 'latency':
      return latency(task);
    case 'idle':
      return idle(task);
    case 'steady':
      return steady(task);
    case 'pipelined':
      return pipelined(task);
  }
}

if (require.main === module) childMain(main);
