import { PendingRegistry } from '../../../src/producer/pending';
import { ReportOrder } from '../../../src/producer/report-order';
import type { NativeDeliveryReport } from '../../../src/native/producer';

/** A registry of `count` pending deliveries (ids 1..count) and an order that records what it settles. */
function setup(count: number): { pending: PendingRegistry<string>; order: ReportOrder<string>; settled: string[] } {
  const pending = new PendingRegistry<string>();
  for (let i = 1; i <= count; i++) pending.add(`m${i}`);
  const settled: string[] = [];
  const order = new ReportOrder<string>(pending, (delivery) => settled.push(delivery));
  return { pending, order, settled };
}

const report = (id: number): NativeDeliveryReport => ({ topic: 't', partition: 0, offset: id, opaque: id, size: 1 });

/** A report arriving: its delivery is taken out of the registry first, as the pipeline does. */
function arrive(h: ReturnType<typeof setup>, id: number): void {
  h.order.add(id, h.pending.take(id)!, null, report(id));
}

describe('ReportOrder', () => {
  it('holds reports that come out of order and settles them in produce order once none produced before the hold is pending', () => {
    const h = setup(4);
    h.order.hold();
    expect(h.order.holding).toBe(true);
    arrive(h, 3);
    arrive(h, 1);
    arrive(h, 4);
    expect(h.settled).toEqual([]);
    arrive(h, 2);
    expect(h.settled).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(h.order.holding).toBe(false);
  });

  it('messages produced after the hold began do not keep it; their reports held meanwhile settle in order with the rest', () => {
    const h = setup(2);
    h.order.hold();
    h.pending.add('m3'); // a new transaction's message, produced during the hold
    arrive(h, 3);
    arrive(h, 2);
    expect(h.settled).toEqual([]);
    arrive(h, 1);
    expect(h.settled).toEqual(['m1', 'm2', 'm3']);
  });

  it('with nothing pending, a hold ends at once', () => {
    const h = setup(0);
    h.order.hold();
    expect(h.order.holding).toBe(false);
  });

  it('release() ends the hold once the rest left the registry another way (a deadline, an abort)', () => {
    const h = setup(2);
    h.order.hold();
    arrive(h, 2);
    h.order.release();
    expect(h.settled).toEqual([]);
    h.pending.take(1);
    h.order.release();
    expect(h.settled).toEqual(['m2']);
  });

  it('takeAll() hands over what is held, in order, and ends the hold (close, a fatal error)', () => {
    const h = setup(3);
    h.order.hold();
    arrive(h, 3);
    arrive(h, 2);
    expect(h.order.takeAll().map((r) => r.delivery)).toEqual(['m2', 'm3']);
    expect(h.order.holding).toBe(false);
    expect(h.settled).toEqual([]);
  });
});
