/*
 * Smoke run of every benchmark script with tiny sizes (BENCH_SMOKE=1), so that the scripts
 * cannot rot. Compiles bench/ with its own tsconfig, runs `run-all` into a temporary results
 * directory and checks that every scenario wrote its JSON and charts. No speed is asserted.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd: root, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

describe('bench smoke run', () => {
  const results = mkdtempSync(join(tmpdir(), 'aio-bench-smoke-'));
  // An empty peers folder: the peers scenario must skip uninstalled peers and measure the rest, as in CI.
  const noPeers = mkdtempSync(join(tmpdir(), 'aio-bench-no-peers-'));
  afterAll(() => {
    rmSync(results, { recursive: true, force: true });
    rmSync(noPeers, { recursive: true, force: true });
  });

  it('compiles and runs every scenario with tiny sizes', async () => {
    const tsc = await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'bench/tsconfig.json'], {});
    expect(tsc.output.trim()).toBe('');
    expect(tsc.code).toBe(0);

    const bench = await run(process.execPath, ['dist-bench/bench/run-all.js'], {
      BENCH_SMOKE: '1',
      BENCH_RESULTS_DIR: results,
      BENCH_SILENT: '1',
      BENCH_PEERS_DIR: noPeers,
    });
    if (bench.code !== 0) throw new Error(bench.output);

    const web = JSON.parse(readFileSync(join(results, 'web-load.json'), 'utf8'));
    expect(web.rows).toHaveLength(web.endpoints.length);
    expect(web.rows.every((r: { requests: number; non2xx: number }) => r.requests > 0 && r.non2xx === 0)).toBe(true);

    const throughput = JSON.parse(readFileSync(join(results, 'producer-throughput.json'), 'utf8'));
    expect(throughput.errors).toEqual([]);
    expect(throughput.rows).toHaveLength(11);
    for (const row of throughput.rows) {
      expect(row.failed).toBe(0);
      expect(row.runs[0].delivered).toBe(row.messagesPerRun);
    }
    const pipelined = throughput.rows.find((r: { client: string }) => r.client === 'aio-pipelined');
    expect(Number.isFinite(pipelined.ratioToRawPromisePipelined)).toBe(true);
    expect(Number.isFinite(pipelined.ratioToRawDr)).toBe(true);

    const costs = JSON.parse(readFileSync(join(results, 'costs.json'), 'utf8'));
    expect(costs.errors).toEqual([]);
    expect(costs.idle.map((r: { client: string }) => r.client).sort()).toEqual(['aio', 'raw']);
    expect(costs.memory.length).toBeGreaterThan(0);
    expect(costs.pools.length).toBeGreaterThan(0);
    expect(costs.poll.length).toBeGreaterThan(0);

    const consumer = JSON.parse(readFileSync(join(results, 'consumer-concurrency.json'), 'utf8'));
    expect(consumer.errors).toEqual([]);
    expect(consumer.rows.map((r: { concurrency: number }) => r.concurrency)).toEqual([1, 20]);
    expect(consumer.rows.every((r: { messagesPerSec: number }) => r.messagesPerSec > 0)).toBe(true);

    const peers = JSON.parse(readFileSync(join(results, 'peers.json'), 'utf8'));
    expect(peers.errors).toEqual([]);
    const skipped = peers.clients.filter((c: { available: boolean }) => !c.available).map((c: { id: string }) => c.id);
    expect(skipped).toEqual(expect.arrayContaining(['ckjs', 'ckjs-batch', 'platformatic']));
    for (const c of peers.clients.filter((x: { id: string }) => ['ckjs', 'platformatic'].includes(x.id))) {
      expect(c.reason).toContain('npm run bench:peers-install');
    }
    const rowsOf = (section: string) => peers[section].map((r: { client: string }) => r.client);
    for (const id of ['aio', 'aio-today', 'raw-immediate', 'kafkajs']) {
      expect(peers.latency.filter((r: { client: string }) => r.client === id).map((r: { lingerMs: number }) => r.lingerMs)).toEqual([0, 5]);
    }
    expect(rowsOf('idle')).toEqual(expect.arrayContaining(['aio', 'aio-today', 'driver-only']));
    // CPU by kind of thread, from /proc: there on Linux only.
    const byThread = peers.idle.filter((r: { threadsPercentOfCore?: { main: number } }) => typeof r.threadsPercentOfCore?.main === 'number');
    expect(byThread.length).toBe(process.platform === 'linux' ? peers.idle.length : 0);
    expect(rowsOf('steady')).toEqual(expect.arrayContaining(['aio', 'aio-today', 'driver-only']));
    expect(rowsOf('pipelined')).toEqual(expect.arrayContaining(['aio', 'raw-map', 'raw-dr']));
    expect(peers.pipelined.every((r: { failed: number }) => r.failed === 0)).toBe(true);
    expect(rowsOf('web')).toEqual(expect.arrayContaining(['noop', 'aio', 'raw-map']));
    expect(peers.web.every((r: { non2xxAndErrors: number; requestsPerSec: number }) => r.non2xxAndErrors === 0 && r.requestsPerSec > 0)).toBe(true);
    expect(bench.output).toContain('peers: sequential awaited p50 at linger.ms 0');

    const ratios = JSON.parse(readFileSync(join(results, 'ratios.json'), 'utf8'));
    expect(ratios.errors).toEqual([]);
    expect(ratios.throughput.map((r: { path: string }) => r.path)).toEqual(['raw-dr', 'raw-bg', 'raw-opaque', 'raw-await', 'aio-await', 'aio-batch', 'aio-ff', 'aio-oob']);
    for (const row of ratios.throughput) {
      expect(row.failed).toBe(0);
      expect(Number.isFinite(row.ratioToRawDr)).toBe(true);
    }
    expect(ratios.throughput.filter((r: { backgroundPoll?: boolean }) => r.backgroundPoll !== undefined).every((r: { backgroundPoll: boolean }) => r.backgroundPoll)).toBe(true);
    expect(ratios.web.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/noop', '/fire-and-forget', '/await']);
    expect(ratios.web.every((r: { non2xxAndErrors: number; requestsPerSec: number }) => r.non2xxAndErrors === 0 && r.requestsPerSec > 0)).toBe(true);
    // Every target of issue 18 is printed with its number; CKJS is not installed here, so its rows are n/a.
    expect(ratios.targets).toHaveLength(10);
    expect(bench.output).toContain('Ratios to raw node-rdkafka (issue 18)');
    expect(bench.output).toContain('fire-and-forget p99 at c=10 within 2x');

    const profile = await run(process.execPath, ['dist-bench/bench/profile.js'], { BENCH_SMOKE: '1', BENCH_RESULTS_DIR: results, BENCH_SILENT: '1', BENCH_RATIOS_PATHS: 'aio-oob' });
    if (profile.code !== 0) throw new Error(profile.output);
    const profiles = JSON.parse(readFileSync(join(results, 'profiles.json'), 'utf8'));
    expect(profiles.paths.map((p: { path: string }) => p.path)).toEqual(['aio-oob']);
    expect(profiles.paths[0].frames.length).toBeGreaterThan(0);
    expect(profiles.paths[0].allocations.length).toBeGreaterThan(0);
    expect(profile.output).toContain('| frame (self time) | self % | total % |');

    for (const chart of ['web-rps', 'web-linger', 'throughput-rate', 'throughput-p50', 'poll-interval']) {
      expect(readFileSync(join(results, `${chart}.svg`), 'utf8')).toMatch(/^<svg /);
    }
    expect(bench.output).toContain('Targets');
    expect(bench.output).toContain('Consumer run() concurrency');
    expect(existsSync(join(root, 'dist-bench', 'bench', 'run-all.js'))).toBe(true);
  }, 180_000);
});
