import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { AIOProducer, InvalidArgumentError } from '../../src';
import { startMockCluster } from '../../src/testing';
import { onMockCluster } from '../helpers/broker';
import { isAlive } from '../helpers/run-node';

const describeMock = onMockCluster ? describe : describe.skip;

async function waitUntilGone(pid: number, limitMs = 10_000): Promise<boolean> {
  for (let waited = 0; waited < limitMs; waited += 50) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describeMock('startMockCluster', () => {
  it('serves produce requests over TCP and stops its process', async () => {
    const cluster = await startMockCluster({ brokers: 2 });
    expect(cluster.bootstrapServers.split(',')).toHaveLength(2);
    const producer = await AIOProducer.connect({ 'bootstrap.servers': cluster.bootstrapServers });
    await expect(producer.produce('mock-test', 'v')).resolves.toMatchObject({ topic: 'mock-test' });
    await producer.close();
    expect(isAlive(cluster.pid)).toBe(true);
    await cluster.stop();
    await cluster.stop(); // idempotent
    expect(isAlive(cluster.pid)).toBe(false);
    await expect(cluster.pause()).rejects.toThrow(/stopped/);
  });

  it('rejects a bad broker count', async () => {
    await expect(startMockCluster({ brokers: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)('leaves no orphan when its parent dies by %s, even while paused', async (signal) => {
    const script = `
      const { startMockCluster } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'index.js'))});
      startMockCluster({ brokers: 1 }).then(async (c) => {
        await c.pause();
        console.log(c.pid);
        setInterval(() => {}, 1000);
      });`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      parent.once('exit', () => reject(new Error('parent exited early')));
    });
    expect(isAlive(pid)).toBe(true);
    parent.kill(signal);
    expect(await waitUntilGone(pid)).toBe(true);
  });
});
