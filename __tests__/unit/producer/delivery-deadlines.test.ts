import { DeliveryDeadlines } from '../../../src/producer/delivery-deadlines';

describe('DeliveryDeadlines', () => {
  it('never expires an id before its timeout, and expires it within the granularity after', () => {
    const deadlines = new DeliveryDeadlines(1000, 100);
    // id i is handed out at time i * 7 ms; ticks every ms.
    const handedAt = new Map<number, number>();
    let nextId = 1;
    let expiredUpTo = 0;
    for (let now = 0; now < 5000; now++) {
      if (now % 7 === 0 && now < 2000) handedAt.set(nextId++, now);
      const limit = deadlines.expiredBelow(nextId, now);
      for (let id = expiredUpTo + 1; id < limit; id++) {
        const age = now - handedAt.get(id)!;
        expect(age).toBeGreaterThanOrEqual(1000);
        expect(age).toBeLessThanOrEqual(1000 + 100 + 1);
      }
      expiredUpTo = Math.max(expiredUpTo, limit - 1);
    }
    expect(expiredUpTo).toBe(nextId - 1);
  });

  it('keeps at most one checkpoint per granularity', () => {
    const deadlines = new DeliveryDeadlines(1000, 100);
    expect(deadlines.expiredBelow(10, 0)).toBe(0);
    expect(deadlines.expiredBelow(20, 50)).toBe(0); // folded into the next checkpoint
    expect(deadlines.expiredBelow(30, 100)).toBe(0);
    expect(deadlines.expiredBelow(30, 1000)).toBe(10);
    expect(deadlines.expiredBelow(30, 1099)).toBe(0);
    expect(deadlines.expiredBelow(30, 1100)).toBe(30);
  });
});
