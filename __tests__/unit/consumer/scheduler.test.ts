import { OrderedScheduler } from '../../../src/consumer/scheduler';

interface Item {
  id: number;
  lane?: string;
}

const byLane = (item: Item): string | undefined => item.lane;

function takeAll(scheduler: OrderedScheduler<Item>): Item[] {
  const taken: Item[] = [];
  for (let item = scheduler.next(); item !== undefined; item = scheduler.next()) taken.push(item);
  return taken;
}

describe('OrderedScheduler', () => {
  it('rejects a concurrency below 1', () => {
    expect(() => new OrderedScheduler<Item>(0, byLane)).toThrow(RangeError);
    expect(() => new OrderedScheduler<Item>(1.5, byLane)).toThrow(RangeError);
  });

  it('never hands out two items of one lane at once, and keeps each lane in push order', () => {
    const scheduler = new OrderedScheduler<Item>(10, byLane);
    const items = [
      { id: 1, lane: 'a' },
      { id: 2, lane: 'b' },
      { id: 3, lane: 'a' },
      { id: 4, lane: 'a' },
      { id: 5, lane: 'b' },
    ];
    for (const item of items) scheduler.push(item);
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([1, 2]);
    expect(scheduler.running).toBe(2);
    expect(scheduler.waiting).toBe(3);
    scheduler.done(items[0]!);
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([3]);
    scheduler.done(items[1]!);
    scheduler.done(items[2]!);
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([5, 4]);
  });

  it('runs items without a lane concurrently', () => {
    const scheduler = new OrderedScheduler<Item>(10, byLane);
    for (let id = 1; id <= 4; id++) scheduler.push({ id });
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([1, 2, 3, 4]);
  });

  it('respects the concurrency limit across lanes', () => {
    const scheduler = new OrderedScheduler<Item>(2, byLane);
    const items = ['a', 'b', 'c', 'd'].map((lane, i) => ({ id: i + 1, lane }));
    for (const item of items) scheduler.push(item);
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([1, 2]);
    scheduler.done(items[1]!);
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([3]);
    expect(scheduler.running).toBe(2);
  });

  it('never runs one lane concurrently under a random workload, and processes every item once in lane order', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const scheduler = new OrderedScheduler<Item>(5, byLane);
    const pushed: Item[] = [];
    const running: Item[] = [];
    const order = new Map<string, number[]>();
    let nextId = 0;
    for (let step = 0; step < 5000; step++) {
      if (random() < 0.5) {
        const item = { id: nextId++, lane: random() < 0.1 ? undefined : `k${Math.floor(random() * 8)}` };
        pushed.push(item);
        scheduler.push(item);
      } else if (running.length > 0) {
        const [item] = running.splice(Math.floor(random() * running.length), 1);
        scheduler.done(item!);
      }
      for (let item = scheduler.next(); item !== undefined; item = scheduler.next()) {
        expect(running.length).toBeLessThan(5);
        if (item.lane !== undefined) {
          expect(running.some((r) => r.lane === item.lane)).toBe(false);
          order.set(item.lane, [...(order.get(item.lane) ?? []), item.id]);
        }
        running.push(item);
      }
    }
    while (running.length > 0 || scheduler.waiting > 0) {
      const item = running.shift();
      if (item !== undefined) scheduler.done(item);
      for (let next = scheduler.next(); next !== undefined; next = scheduler.next()) {
        if (next.lane !== undefined) order.set(next.lane, [...(order.get(next.lane) ?? []), next.id]);
        running.push(next);
      }
    }
    for (const [lane, ids] of order) {
      const expected = pushed.filter((p) => p.lane === lane).map((p) => p.id);
      expect(ids).toEqual(expected);
    }
  });

  it('removes waiting items on request and leaves running ones alone', () => {
    const scheduler = new OrderedScheduler<Item>(1, byLane);
    const items = [
      { id: 1, lane: 'p0' },
      { id: 2, lane: 'p0' },
      { id: 3, lane: 'p1' },
      { id: 4, lane: 'p1' },
    ];
    for (const item of items) scheduler.push(item);
    expect(scheduler.next()?.id).toBe(1);
    const removed = scheduler.remove((item) => item.lane === 'p0' || item.id === 4);
    expect(removed.map((i) => i.id).sort()).toEqual([2, 4]);
    expect(scheduler.waiting).toBe(1);
    scheduler.done(items[0]!);
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([3]);
    expect(scheduler.clear()).toEqual([]);
    // Pushing to a lane that was emptied while queued still works.
    scheduler.done(items[2]!);
    scheduler.push({ id: 5, lane: 'p0' });
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([5]);
  });

  it('ignores done() for an item it never handed out', () => {
    const scheduler = new OrderedScheduler<Item>(1, byLane);
    scheduler.done({ id: 9 });
    expect(scheduler.running).toBe(0);
  });
});

describe('OrderedScheduler: batches and held-back lanes', () => {
  it('nextBatch takes up to max items of one lane in order; the first stands for them in done', () => {
    const scheduler = new OrderedScheduler<Item>(2, byLane);
    for (let id = 1; id <= 5; id++) scheduler.push({ id, lane: 'a' });
    scheduler.push({ id: 6, lane: 'b' });
    const first = scheduler.nextBatch(3)!;
    expect(first.map((i) => i.id)).toEqual([1, 2, 3]);
    expect(scheduler.nextBatch(3)!.map((i) => i.id)).toEqual([6]);
    expect(scheduler.nextBatch(3)).toBeUndefined();
    expect(scheduler.waiting).toBe(2);
    scheduler.done(first[0]!);
    expect(scheduler.nextBatch(3)!.map((i) => i.id)).toEqual([4, 5]);
    expect(scheduler.waiting).toBe(0);
  });

  it('a held-back lane is set aside (the others run) until unpark or a push; its order is kept', () => {
    const held = new Set(['a']);
    const scheduler = new OrderedScheduler<Item>(10, byLane, (head) => held.has(head.lane!));
    scheduler.push({ id: 1, lane: 'a' });
    scheduler.push({ id: 2, lane: 'b' });
    scheduler.push({ id: 3, lane: 'a' });
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([2]);
    expect(scheduler.parkedHeads().map((i) => i.id)).toEqual([1]);
    scheduler.unpark();
    expect(takeAll(scheduler)).toEqual([]); // still held
    held.clear();
    scheduler.unpark();
    expect(takeAll(scheduler).map((i) => i.id)).toEqual([1]);
    expect(scheduler.parkedHeads()).toEqual([]);
  });

  it('remove() empties a parked lane and forgets it', () => {
    const scheduler = new OrderedScheduler<Item>(10, byLane, () => true);
    scheduler.push({ id: 1, lane: 'a' });
    expect(takeAll(scheduler)).toEqual([]);
    expect(scheduler.remove(() => true).map((i) => i.id)).toEqual([1]);
    expect(scheduler.parkedHeads()).toEqual([]);
    expect(scheduler.waiting).toBe(0);
  });
});
