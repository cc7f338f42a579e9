/*
 * `npm run bench:profile` (issue 18): a CPU profile and an allocation profile of each produce path
 * of the ratios scenario under its sliding-window load, and the summary of each: the top frames by
 * self time, the top allocation sites by bytes. The profiles cover the measured run only (started
 * and stopped through the inspector in ratios-client.ts), one process per path and profile kind.
 *
 *   npm run bench:profile                          every path; BENCH_QUICK=1: fewer messages
 *   BENCH_RATIOS_PATHS=aio-await,raw-dr npm run bench:profile
 *
 * The .cpuprofile / .heapprofile files go to bench/results/tmp/profiles/ (open them in Chrome
 * DevTools); the summaries to bench/results/profiles.json and stdout.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CORES, RESULTS_DIR, captureEnvironment, pick, progress, runChild, startBroker, writeResult, type Environment } from './harness';
import { allocationsTable, framesTable, topAllocations, topFrames, type AllocationRow, type FrameRow } from './profile-summary';
import { RATIO_PATHS, type RatioPathId, type RatiosRun, type RatiosTask } from './ratios-client';

export interface PathProfile {
  path: RatioPathId;
  messages: number;
  /** Rate of the CPU-profiled run (the profiler costs some). */
  messagesPerSec: number;
  sampledMs: number;
  idlePercent: number;
  gcPercent: number;
  frames: FrameRow[];
  allocatedBytesPerMessage: number;
  allocations: AllocationRow[];
}

export interface ProfilesResult {
  scenario: 'profiles';
  environment: Environment;
  command: string;
  method: Record<string, unknown>;
  paths: PathProfile[];
}

export async function runProfiles(): Promise<ProfilesResult> {
  const messages = pick({ full: 200_000, quick: 100_000, smoke: 300 });
  const window = pick({ full: 20_000, quick: 20_000, smoke: 100 });
  const top = 15;
  const intervalUs = 100;
  const asked = process.env.BENCH_RATIOS_PATHS?.split(',').filter(Boolean);
  const paths = RATIO_PATHS.map((p) => p.id).filter((id) => asked === undefined || asked.includes(id));
  const dir = join(RESULTS_DIR, 'tmp', 'profiles');
  mkdirSync(dir, { recursive: true });
  const environment = captureEnvironment();
  const broker = await startBroker();
  const out: PathProfile[] = [];
  try {
    for (const path of paths) {
      const run = (kind: 'cpu' | 'heap'): Promise<RatiosRun> => {
        const task: RatiosTask = {
          path,
          bootstrap: broker.bootstrapServers,
          messages,
          warmup: Math.round(messages / 5),
          window,
          topic: `bench-profile-${path}`,
          profile: kind,
          profileFile: join(dir, `${path}.${kind === 'cpu' ? 'cpuprofile' : 'heapprofile'}`),
          profileIntervalUs: intervalUs,
        };
        return runChild<RatiosRun>('ratios-client', [JSON.stringify(task)], { cpu: CORES.subject, timeoutMs: 300_000 });
      };
      const cpuRun = await run('cpu');
      await run('heap');
      const cpu = topFrames(JSON.parse(readFileSync(join(dir, `${path}.cpuprofile`), 'utf8')), top);
      const heap = topAllocations(JSON.parse(readFileSync(join(dir, `${path}.heapprofile`), 'utf8')), top);
      out.push({
        path,
        messages,
        messagesPerSec: cpuRun.messagesPerSec,
        sampledMs: cpu.totalMs,
        idlePercent: cpu.idlePercent,
        gcPercent: cpu.gcPercent,
        frames: cpu.rows,
        allocatedBytesPerMessage: Math.round(heap.totalBytes / messages),
        allocations: heap.rows,
      });
      progress('profile', `${path}: ${Math.round(cpuRun.messagesPerSec)} msg/s profiled; idle ${cpu.idlePercent}%, GC ${cpu.gcPercent}%; ${Math.round(heap.totalBytes / messages)} B allocated per message`);
    }
  } finally {
    await broker.stop();
  }
  const result: ProfilesResult = {
    scenario: 'profiles',
    environment,
    command: 'npm run bench:profile',
    method: {
      messages,
      window,
      cpu: `V8 CPU profiler (what --cpu-prof runs) through node:inspector, sampling every ${intervalUs} µs, around the measured run only; self and total time as % of every sample of the main thread, idle included (librdkafka's threads are not sampled)`,
      heap: 'V8 sampling heap profiler (what --heap-prof runs) through node:inspector, a sample every 4 KiB, collected objects kept (includeObjectsCollectedByMajorGC/MinorGC): bytes allocated by site over the measured run',
    },
    paths: out,
  };
  writeResult('profiles', result);
  return result;
}

/** One markdown block per path: the frames table and the allocation table, `top` rows each. */
export function profilesMarkdown(r: ProfilesResult, top = 15): string[] {
  return r.paths.flatMap((p) => [
    `#### ${p.path}`,
    '',
    `${p.messages} messages, ${Math.round(p.messagesPerSec)} msg/s while profiled; main thread sampled ${p.sampledMs} ms: idle ${p.idlePercent}%, GC ${p.gcPercent}%; ${p.allocatedBytesPerMessage} B allocated per message.`,
    '',
    framesTable(p.frames.slice(0, top)),
    '',
    allocationsTable(p.allocations.slice(0, top), p.messages),
    '',
  ]);
}

if (require.main === module) {
  runProfiles().then(
    (r) => {
      process.stdout.write(`${profilesMarkdown(r).join('\n')}\n`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
