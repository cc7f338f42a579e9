import { CommitPlanner, type OffsetTicket } from '../../../src/consumer/commit-planner';

const T = 'items';

function receiveAll(planner: CommitPlanner, partition: number, offsets: number[]): Map<number, OffsetTicket> {
  const tickets = new Map<number, OffsetTicket>();
  for (const offset of offsets) {
    const ticket = planner.receive(T, partition, offset);
    if (ticket === undefined) throw new Error(`offset ${offset} refused`);
    tickets.set(offset, ticket);
  }
  return tickets;
}

describe('CommitPlanner', () => {
  it('commits nothing before anything is received', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    expect(planner.plan()).toEqual([]);
  });

  it('commits last finished + 1 only up to the first unfinished offset', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    const tickets = receiveAll(planner, 0, [10, 11, 12, 13]);
    // Nothing finished: the commit point stays at the first received offset.
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 10 }]);
    planner.finish(T, 0, tickets.get(11)!);
    planner.finish(T, 0, tickets.get(13)!);
    // 10 is unfinished: 11 and 13 being done must not move the commit point (no gap committed).
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 10 }]);
    planner.finish(T, 0, tickets.get(10)!);
    // 10, 11 done, 12 not: next offset to read is 12.
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 12 }]);
    planner.finish(T, 0, tickets.get(12)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 14 }]);
    // Nothing is left unfinished: the position is the final one.
    expect(planner.revoke(T, 0)).toBe(14);
  });

  it('follows received offsets, not integers: holes (compaction, transaction markers) do not block', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    const tickets = receiveAll(planner, 0, [3, 7, 20]);
    planner.finish(T, 0, tickets.get(3)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 7 }]);
    planner.finish(T, 0, tickets.get(20)!);
    planner.finish(T, 0, tickets.get(7)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 21 }]);
  });

  it('keeps partitions independent', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    planner.assign(T, 1);
    const p0 = receiveAll(planner, 0, [0, 1]);
    const p1 = receiveAll(planner, 1, [5, 6]);
    planner.finish(T, 0, p0.get(0)!);
    planner.finish(T, 0, p0.get(1)!);
    planner.finish(T, 1, p1.get(6)!);
    expect(planner.plan()).toEqual([
      { topic: T, partition: 0, offset: 2 },
      { topic: T, partition: 1, offset: 5 },
    ]);
    expect(planner.plan([{ topic: T, partition: 1 }])).toEqual([{ topic: T, partition: 1, offset: 5 }]);
    // One message of p1 (5) is unfinished: finishing it moves p1 only.
    planner.finish(T, 1, p1.get(5)!);
    expect(planner.plan()).toEqual([
      { topic: T, partition: 0, offset: 2 },
      { topic: T, partition: 1, offset: 7 },
    ]);
  });

  it('does not plan a position already committed, and ignores a late confirmation of an older one', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    const tickets = receiveAll(planner, 0, [0, 1, 2]);
    planner.finish(T, 0, tickets.get(0)!);
    planner.finish(T, 0, tickets.get(1)!);
    const first = planner.plan();
    planner.markCommitted(first);
    expect(planner.plan()).toEqual([]);
    planner.finish(T, 0, tickets.get(2)!);
    const second = planner.plan();
    expect(second).toEqual([{ topic: T, partition: 0, offset: 3 }]);
    planner.markCommitted(second);
    planner.markCommitted(first); // late answer to the older commit
    expect(planner.plan()).toEqual([]);
  });

  it('refuses unassigned partitions, offsets received twice and offsets below the start', () => {
    const planner = new CommitPlanner();
    expect(planner.receive(T, 0, 1)).toBeUndefined();
    planner.assign(T, 0, 10);
    // The start (where this member finished, its commit refused) is owed a commit: it is the
    // position until a message is received.
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 10 }]);
    expect(planner.receive(T, 0, 9)).toBeUndefined();
    expect(planner.receive(T, 0, 10)).toBeDefined();
    expect(planner.receive(T, 0, 10)).toBeUndefined();
    expect(planner.receive(T, 0, 8)).toBeUndefined();
  });

  it('ignores tickets of a revoked assignment, even after the partition comes back', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    const old = receiveAll(planner, 0, [0, 1]);
    planner.finish(T, 0, old.get(0)!);
    expect(planner.revoke(T, 0)).toBe(1);
    // No longer tracked: nothing is planned for it and nothing is received.
    expect(planner.plan()).toEqual([]);
    expect(planner.receive(T, 0, 2)).toBeUndefined();
    planner.finish(T, 0, old.get(1)!); // finishes after the revoke: no effect, no throw
    planner.assign(T, 0, 1);
    const fresh = receiveAll(planner, 0, [1, 2]);
    // The old assignment's ticket for offset 1 must not finish the new assignment's offset 1.
    planner.finish(T, 0, old.get(1)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 1 }]);
    planner.finish(T, 0, fresh.get(1)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 2 }]);
  });

  it('returns undefined from revoke when nothing was ever known', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 3);
    expect(planner.revoke(T, 3)).toBeUndefined();
    expect(planner.revoke(T, 4)).toBeUndefined();
  });

  it('handles a long run of out-of-order completions', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    const offsets = Array.from({ length: 5000 }, (_, i) => i);
    const tickets = receiveAll(planner, 0, offsets);
    // Finish in reverse: the commit point cannot move until offset 0 is done.
    for (const offset of offsets.slice(1).reverse()) planner.finish(T, 0, tickets.get(offset)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 0 }]);
    planner.finish(T, 0, tickets.get(0)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 5000 }]);
    expect(planner.revoke(T, 0)).toBe(5000);
    expect(planner.plan()).toEqual([]);
  });

  it('accepts offsets below what was received that this assignment never received (the fetch position moved back)', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    // A stale batch 21..30 first, then librdkafka fetches again from 5.
    const stale = receiveAll(planner, 0, [21, 22, 23]);
    for (const ticket of stale.values()) planner.finish(T, 0, ticket);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 24 }]);
    const refetched = receiveAll(planner, 0, [5, 6, 7]);
    // 5..7 are not finished: nothing at or above 5 may be committed.
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 5 }]);
    for (const ticket of refetched.values()) planner.finish(T, 0, ticket);
    // 8..20 were never received: the commit point stops there.
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 8 }]);
    const rest = receiveAll(planner, 0, range(8, 20));
    // 21..23 come again: received already in this assignment, dropped.
    expect(planner.receive(T, 0, 21)).toBeUndefined();
    expect(planner.receive(T, 0, 23)).toBeUndefined();
    for (const ticket of rest.values()) planner.finish(T, 0, ticket);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 24 }]);
    const next = receiveAll(planner, 0, [24]);
    planner.finish(T, 0, next.get(24)!);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 25 }]);
    expect(planner.revoke(T, 0)).toBe(25);
  });

  it('a late answer to a commit planned for an earlier assignment does not mark the new one', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0);
    const old = receiveAll(planner, 0, [0, 1, 2]);
    for (const ticket of old.values()) planner.finish(T, 0, ticket);
    const oldCommit = planner.plan();
    expect(oldCommit).toEqual([{ topic: T, partition: 0, offset: 3 }]);
    planner.revoke(T, 0);
    planner.assign(T, 0);
    const fresh = receiveAll(planner, 0, [0, 1, 2]);
    for (const ticket of fresh.values()) planner.finish(T, 0, ticket);
    planner.markCommitted(oldCommit);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 3 }]);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('CommitPlanner: a resume point (issue 9)', () => {
  it('is planned until a message is received, then the received ones decide; once confirmed it is not planned again', () => {
    const planner = new CommitPlanner();
    planner.assign(T, 0, 371);
    const first = planner.plan();
    expect(first).toEqual([{ topic: T, partition: 0, offset: 371 }]);
    planner.markCommitted(first);
    expect(planner.plan()).toEqual([]);
    const ticket = planner.receive(T, 0, 371)!;
    expect(planner.plan()).toEqual([]);
    planner.finish(T, 0, ticket);
    expect(planner.plan()).toEqual([{ topic: T, partition: 0, offset: 372 }]);
  });
});
