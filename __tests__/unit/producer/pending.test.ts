import { PendingRegistry } from '../../../src/producer/pending';
import { prng } from '../../helpers/prng';

describe('PendingRegistry', () => {
  it('hands out increasing ids and gives each entry back once', () => {
    const registry = new PendingRegistry<string>();
    const a = registry.add('a');
    const b = registry.add('b');
    expect(b).toBe(a + 1);
    expect(registry.nextId).toBe(b + 1);
    expect(registry.size).toBe(2);
    expect(registry.take(b)).toBe('b');
    expect(registry.take(b)).toBeUndefined();
    expect(registry.take(a)).toBe('a');
    expect(registry.take(a)).toBeUndefined();
    expect(registry.size).toBe(0);
    expect(registry.take(0)).toBeUndefined();
    expect(registry.take(registry.nextId)).toBeUndefined();
  });

  it('agrees with a Map under random adds and out-of-order takes, growing and shrinking', () => {
    const random = prng(18);
    const registry = new PendingRegistry<number>();
    const model = new Map<number, number>();
    for (let step = 0; step < 60_000; step++) {
      // Phases of growth (up to ~6k pending) and of draining, so the ring grows and empties.
      const adding = Math.floor(step / 10_000) % 2 === 0 ? random() < 0.8 : random() < 0.3;
      if (adding || model.size === 0) {
        const id = registry.add(step);
        model.set(id, step);
      } else {
        // Mostly one of the 50 oldest (reports come back roughly in order), sometimes any.
        const skip = Math.floor(random() * (random() < 0.95 ? Math.min(model.size, 50) : model.size));
        const keys = model.keys();
        for (let i = 0; i < skip; i++) keys.next();
        const pick = keys.next().value as number;
        expect(registry.take(pick)).toBe(model.get(pick));
        model.delete(pick);
      }
      if (step % 100 === 0) {
        expect(registry.size).toBe(model.size);
        // hasBelow(limit): is the oldest pending id (the model's first key) below limit?
        const oldest = model.keys().next().value;
        for (const limit of [oldest ?? registry.nextId, (oldest ?? 0) + 1, registry.nextId]) {
          expect(registry.hasBelow(limit)).toBe(oldest !== undefined && oldest < limit);
        }
      }
    }
    expect(registry.size).toBe(model.size);
    expect(registry.takeAll()).toEqual([...model.values()]);
    expect(registry.size).toBe(0);
  });

  it('takes the entries below a limit oldest first, stragglers included', () => {
    const registry = new PendingRegistry<number>();
    const straggler = registry.add(-1);
    // Many newer entries come and go while the first one stays: it moves out of the ring.
    for (let i = 0; i < 100_000; i++) registry.take(registry.add(i));
    const recent = [registry.add(1), registry.add(2), registry.add(3)];
    expect(registry.size).toBe(4);
    expect(registry.hasBelow(straggler)).toBe(false);
    expect(registry.hasBelow(straggler + 1)).toBe(true);
    expect(registry.takeBelow(recent[1]!)).toEqual([
      [straggler, -1],
      [recent[0], 1],
    ]);
    expect(registry.take(straggler)).toBeUndefined();
    expect(registry.takeBelow(registry.nextId)).toEqual([
      [recent[1], 2],
      [recent[2], 3],
    ]);
    expect(registry.size).toBe(0);
  });

  it('keeps its ring the size of what is pending, not of the span since the oldest entry', () => {
    const registry = new PendingRegistry<number>();
    const straggler = registry.add(-1);
    for (let i = 0; i < 1_000_000; i++) registry.take(registry.add(i));
    expect(registry.slotCount).toBeLessThanOrEqual(2048);
    expect(registry.take(straggler)).toBe(-1);
  });

  it('gives its slots back once a burst has drained', () => {
    const registry = new PendingRegistry<number>();
    const ids = Array.from({ length: 50_000 }, (_, i) => registry.add(i));
    expect(registry.slotCount).toBeGreaterThanOrEqual(50_000);
    for (const id of ids) registry.take(id);
    expect(registry.slotCount).toBeLessThanOrEqual(1024);
    expect(registry.take(registry.add(7))).toBe(7);
  });
});
