import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AIOKafkaError, InvalidArgumentError } from '../../../src';
import { MockClusterStoppedError, startMockCluster, type MockCluster } from '../../../src/testing';
import { randomTopic } from '../../helpers/broker';
import { DIST, requireDist, runNode } from '../../helpers/run-node';
import { timeGroupJoin } from './group-join';

/*
 * The mock cluster's contract apart from the faults themselves: argument checks, calls after
 * stop(), its process's lifetime, koffi staying out of the main entry, and how fast a consumer
 * group forms with and without the initial rebalance delay.
 */

const TESTING = join(DIST, '..', 'testing', 'index.js');

/**
 * Whether process `pid` has exited within 5 s. A zombie counts as exited: once its parent is
 * gone it is reparented to this container's init, which may never reap it.
 */
async function gone(pid: number): Promise<boolean> {
  for (let waited = 0; waited < 5000; waited += 50) {
    try {
      process.kill(pid, 0);
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('MockCluster arguments', () => {
  let cluster: MockCluster;
  beforeAll(async () => {
    cluster = await startMockCluster({ brokers: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const bad: Array<[string, (c: MockCluster) => Promise<void>]> = [
    ['createTopic with an illegal name', (c) => c.createTopic('no spaces', { partitions: 1 })],
    ['createTopic with 0 partitions', (c) => c.createTopic('t', { partitions: 0 })],
    ['createTopic without options', (c) => c.createTopic('t', undefined as never)],
    ['createTopic with more replicas than brokers', (c) => c.createTopic('t', { partitions: 1, replicationFactor: 3 })],
    ['brokerDown of broker 0', (c) => c.brokerDown(0)],
    ['brokerDown of a broker that does not exist', (c) => c.brokerDown(3)],
    ["brokerUp of 'some'", (c) => c.brokerUp('some' as never)],
    ['setRtt < 0', (c) => c.setRtt(1, -1)],
    ['setRtt of 1.5 ms', (c) => c.setRtt(1, 1.5)],
    ['injectErrors of an unknown api', (c) => c.injectErrors('Produse' as never, ['NOT_LEADER_FOR_PARTITION'])],
    ['injectErrors of an unknown error name', (c) => c.injectErrors('Produce', ['NOT_A_CODE'])],
    ['injectErrors of an unknown error number', (c) => c.injectErrors('Produce', [123456])],
    ['injectErrors of no codes', (c) => c.injectErrors('Produce', [])],
    ['injectErrors with rttMs but no brokerId', (c) => c.injectErrors('Produce', [6], { rttMs: 100 })],
    ['injectErrors on a broker that does not exist', (c) => c.injectErrors('Produce', [6], { brokerId: 9 })],
    ['moveLeader of partition -1', (c) => c.moveLeader('t', -1, 1)],
    ['moveLeader to a broker that does not exist', (c) => c.moveLeader('t', 0, 7)],
    ['setCoordinator of an empty group', (c) => c.setCoordinator('', 1)],
    ['setCoordinator of a bad key', (c) => c.setCoordinator({ producer: 'x' } as never, 1)],
  ];
  it.each(bad)('rejects %s with InvalidArgumentError', async (_, call) => {
    await expect(call(cluster)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('accepts error codes by Kafka name, ERR_ name, alias or number, and API keys by number', async () => {
    await cluster.injectErrors('Fetch', ['NOT_LEADER_FOR_PARTITION', 'ERR_NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 6, 'NO_ERROR']);
    await cluster.injectErrors(1, ['ERR__TRANSPORT'], { brokerId: 2, rttMs: 10 });
    await cluster.clearErrors('Fetch');
  });

  it('rejects bad startMockCluster options', async () => {
    await expect(startMockCluster({ topics: [{ name: 'x', partitions: 0 }] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(startMockCluster({ topics: 'x' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(startMockCluster({ groupInitialRebalanceDelayMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('MockCluster after stop()', () => {
  it('rejects every call with MockClusterStoppedError, and stop() stays idempotent', async () => {
    const cluster = await startMockCluster({ brokers: 1 });
    const pending = cluster.createTopic(randomTopic(), { partitions: 1 });
    await Promise.all([cluster.stop(), cluster.stop()]);
    // A call sent just before stop() either took effect or says the cluster stopped first.
    await pending.catch((err: unknown) => expect(err).toBeInstanceOf(MockClusterStoppedError));
    const calls = [
      cluster.createTopic('t', { partitions: 1 }),
      cluster.brokerDown('all'),
      cluster.brokerUp(1),
      cluster.setRtt(1, 10),
      cluster.injectErrors('Produce', [6]),
      cluster.clearErrors('Produce'),
      cluster.moveLeader('t', 0, 1),
      cluster.setCoordinator('g', 1),
      cluster.pause(),
      cluster.resume(),
    ];
    for (const call of calls) {
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MockClusterStoppedError);
      expect(err).toBeInstanceOf(AIOKafkaError);
      expect((err as Error).message).toMatch(/stopped/);
    }
    await expect(cluster.stop()).resolves.toBeUndefined();
  });

  it('a call made while paused settles after resume()', async () => {
    const cluster = await startMockCluster({ brokers: 1 });
    try {
      await cluster.pause();
      const call = cluster.createTopic(randomTopic(), { partitions: 3 });
      await cluster.resume();
      await expect(call).resolves.toBeUndefined();
    } finally {
      await cluster.stop();
    }
  });
});

describe('MockCluster process', () => {
  beforeAll(() => requireDist());

  it('does not keep its parent alive, yet an awaited call completes; the parent exits by itself after stop()', async () => {
    const script = `
      const { startMockCluster } = require(${JSON.stringify(TESTING)});
      (async () => {
        const c = await startMockCluster({ brokers: 2, topics: [{ name: 'a', partitions: 12 }] });
        await c.createTopic('b', { partitions: 3 });
        await c.brokerDown('all');
        await c.brokerUp('all');
        console.log('pid', c.pid);
        if (process.argv.includes('stop')) { await c.stop(); console.log('stopped'); }
      })();`;
    for (const mode of ['stop', 'no-stop']) {
      const run = await runNode(script, [mode], 20_000);
      expect(run).toMatchObject({ code: 0, exitedByItself: true });
      expect(run.stdout).toMatch(/^pid \d+/);
      if (mode === 'stop') expect(run.stdout).toMatch(/stopped/);
      const pid = Number(/pid (\d+)/.exec(run.stdout)![1]);
      // The child went with its parent either way.
      expect(await gone(pid)).toBe(true);
    }
  });

  /**
   * Runs `script` as a terminal runs a command: in a process group of its own, which gets
   * SIGINT as a whole (Ctrl-C) once the script printed `ready`.
   */
  function interruptLikeCtrlC(script: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let interrupted = false;
      const timer = setTimeout(() => {
        process.kill(-child.pid!, 'SIGKILL');
        reject(new Error(`still running after 30 s; stdout: ${stdout}; stderr: ${stderr}`));
      }, 30_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/^ready/m.test(stdout) && !interrupted) {
          interrupted = true;
          process.kill(-child.pid!, 'SIGINT');
        }
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  it('keeps serving through a Ctrl-C that its parent handles (a graceful shutdown), and goes with the parent', async () => {
    const script = `
      const { AIOProducer } = require(${JSON.stringify(DIST)});
      const { startMockCluster } = require(${JSON.stringify(TESTING)});
      (async () => {
        const cluster = await startMockCluster({ brokers: 1 });
        const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers, 'message.timeout.ms': 3000 });
        producer.on('error', (err) => console.error('client error', err.code));
        await producer.produce('before', 'x');
        process.once('SIGINT', async () => {
          // The shutdown still uses the cluster: the interrupt must not have stopped it.
          await new Promise((resolve) => setTimeout(resolve, 500));
          await producer.produce('during-shutdown', 'x').then(() => console.log('delivered'), (err) => console.error('failed', err.code));
          await producer.close();
          await cluster.stop();
          process.exit(0);
        });
        console.log('ready', cluster.pid);
      })();`;
    const result = await interruptLikeCtrlC(script);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/delivered/);
    expect(await gone(Number(/ready (\d+)/.exec(result.stdout)![1]))).toBe(true);
  });

  it('never outlives a parent that a Ctrl-C ends', async () => {
    const script = `
      const { startMockCluster } = require(${JSON.stringify(TESTING)});
      startMockCluster({ brokers: 1 }).then(async (cluster) => {
        await cluster.createTopic('t', { partitions: 1 });
        // Something keeps the parent alive until the interrupt, which it does not handle, ends it.
        setInterval(() => {}, 1000);
        console.log('ready', cluster.pid);
      });`;
    const result = await interruptLikeCtrlC(script);
    expect(result.signal).toBe('SIGINT');
    expect(await gone(Number(/ready (\d+)/.exec(result.stdout)![1]))).toBe(true);
  });

  it("loads koffi only in the cluster's child: never in a process that requires the package", async () => {
    const script = `
      const loaded = () => Object.keys(require.cache).some((k) => /[\\\\/]koffi[\\\\/]/.test(k));
      require(${JSON.stringify(DIST)});
      const afterMain = loaded();
      const { startMockCluster } = require(${JSON.stringify(TESTING)});
      const afterTesting = loaded();
      startMockCluster({ brokers: 1 }).then(async (c) => {
        await c.injectErrors('Produce', ['NOT_LEADER_FOR_PARTITION']);
        console.log(JSON.stringify({ afterMain, afterTesting, afterStart: loaded() }));
        await c.stop();
      });`;
    const run = await runNode(script, [], 20_000);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ afterMain: false, afterTesting: false, afterStart: false });
  });
});

describe('consumer group join', () => {
  it('is quick with the default rebalance delay 0, and waits about 3 s with the mock default 3000', async () => {
    const fast = await startMockCluster({ brokers: 1 });
    const slow = await startMockCluster({ brokers: 1, groupInitialRebalanceDelayMs: 3000 });
    try {
      const topic = randomTopic('join');
      // A consumer is assigned only partitions of topics that exist.
      await Promise.all([fast.createTopic(topic, { partitions: 2 }), slow.createTopic(topic, { partitions: 2 })]);
      const [fastMs, slowMs] = await Promise.all([
        timeGroupJoin(fast.bootstrapServers, randomTopic('g'), topic),
        timeGroupJoin(slow.bootstrapServers, randomTopic('g'), topic),
      ]);
      expect(fastMs).toBeDefined();
      expect(slowMs).toBeDefined();
      expect(fastMs!).toBeLessThan(slowMs!);
      expect(slowMs!).toBeGreaterThanOrEqual(2900);
      expect(fastMs!).toBeLessThan(2900);
      // Shown in the test output: the figures docs/testing.md quotes.
      process.stdout.write(`group join: ${fastMs} ms with delay 0, ${slowMs} ms with delay 3000\n`);
    } finally {
      await Promise.all([fast.stop(), slow.stop()]);
    }
  });
});
