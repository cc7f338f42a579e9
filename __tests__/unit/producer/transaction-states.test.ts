import { AIOKafkaError, TransactionError } from '../../../src/core/errors';
import {
  afterEvent,
  beginStep,
  failureEvent,
  fatalTransactionError,
  hasEnded,
  stepOf,
  type ProducerPhase,
  type Step,
  type TransactionEvent,
  type TransactionOp,
  type TransactionState,
} from '../../../src/producer/transaction-states';

/*
 * The transaction state table, cell by cell. The expected table is written here as the spec reads
 * (docs/api.md, "Transactions"): `→state` goes on in that state, `✗why` is refused, `done` has
 * already happened (resolves at once).
 */

const STATES: TransactionState[] = ['open', 'committing', 'abortable', 'aborting', 'committed', 'aborted', 'failed'];
const OPS: TransactionOp[] = ['produce', 'sendOffsets', 'commit', 'abort', 'dispose', 'runSendOffsets', 'runCommit', 'runAbort'];

// prettier-ignore
const EXPECTED: Record<TransactionState, string[]> = {
  //            produce       sendOffsets   commit         abort        dispose      runSendOffsets runCommit      runAbort
  open:       ['→open',      '→open',      '→committing', '→aborting', '→aborting', '→open',       '→committing', '→aborting'],
  committing: ['✗ended',     '✗ended',     '→committing', '→aborting', '→aborting', '→committing', '→committing', '→aborting'],
  abortable:  ['✗mustAbort', '✗mustAbort', '✗mustAbort',  '→aborting', '→aborting', '✗mustAbort',  '✗mustAbort',  '→aborting'],
  aborting:   ['✗ended',     '✗ended',     '✗ended',      '→aborting', '→aborting', '→aborting',   '→aborting',   '→aborting'],
  committed:  ['✗ended',     '✗ended',     'done',        '✗ended',    'done',      '✗ended',      'done',        '✗ended'],
  aborted:    ['✗ended',     '✗ended',     '✗ended',      'done',      'done',      '✗ended',      '✗ended',      'done'],
  failed:     ['✗unusable',  '✗unusable',  '✗unusable',   '✗unusable', 'done',      '✗unusable',   '✗unusable',   '✗unusable'],
};

const EVENTS: TransactionEvent[] = ['committed', 'aborted', 'retriable', 'abortable', 'fatal', 'closed'];

// prettier-ignore
const EXPECTED_EVENTS: Record<TransactionState, TransactionState[]> = {
  //            committed    aborted      retriable     abortable     fatal     closed
  open:       ['open',      'open',      'open',       'abortable',  'failed', 'failed'],
  committing: ['committed', 'committing', 'committing', 'abortable', 'failed', 'failed'],
  abortable:  ['abortable', 'abortable', 'abortable',  'abortable',  'failed', 'failed'],
  aborting:   ['committed', 'aborted',   'aborting',   'aborting',   'failed', 'failed'],
  committed:  ['committed', 'committed', 'committed',  'committed',  'committed', 'committed'],
  aborted:    ['aborted',   'aborted',   'aborted',    'aborted',    'aborted', 'aborted'],
  // librdkafka's answer to a call close() gave up on comes late: it says what really happened.
  failed:     ['committed', 'aborted',   'failed',     'failed',     'failed', 'failed'],
};

function show(step: Step): string {
  if ('to' in step) return `→${step.to}`;
  if ('refuse' in step) return `✗${step.refuse}`;
  return 'done';
}

describe('the transaction state table', () => {
  const cells = STATES.flatMap((state) => OPS.map((op, i) => [state, op, EXPECTED[state][i]!] as const));

  it('has a cell for every state and operation', () => {
    expect(cells).toHaveLength(STATES.length * OPS.length);
  });

  it.each(cells)('%s × %s → %s', (state, op, expected) => {
    expect(show(stepOf(state, op))).toBe(expected);
  });

  const events = STATES.flatMap((state) => EVENTS.map((event, i) => [state, event, EXPECTED_EVENTS[state][i]!] as const));

  it.each(events)('%s + event %s → %s', (state, event, expected) => {
    expect(afterEvent(state, event)).toBe(expected);
  });

  it('ended states: committed, aborted, failed; they refuse produce and every native call but their own repeat', () => {
    expect(STATES.filter(hasEnded)).toEqual(['committed', 'aborted', 'failed']);
    for (const state of STATES.filter(hasEnded)) {
      for (const op of ['produce', 'sendOffsets', 'runSendOffsets'] as const) expect('refuse' in stepOf(state, op)).toBe(true);
      expect(show(stepOf(state, 'dispose'))).toBe('done');
    }
  });
});

describe('whether a transaction may begin', () => {
  it.each<[ProducerPhase, string]>([
    ['ready', '→beginning'],
    ['beginning', '✗busy'],
    ['inTransaction', '✗busy'],
    ['closing', '✗closed'],
    ['closed', '✗closed'],
    ['fatal', '✗fatal'],
  ])('%s → %s', (phase, expected) => {
    const step = beginStep(phase);
    expect('to' in step ? `→${step.to}` : `✗${step.refuse}`).toBe(expected);
  });
});

describe('failureEvent: what a failure means, by the flags librdkafka set', () => {
  it.each([
    [{ fatal: true, abortable: true, retriable: true }, 'fatal'],
    [{ abortable: true, retriable: true }, 'abortable'],
    [{ retriable: true }, 'retriable'],
    [{}, undefined],
  ])('%j → %s', (flags, expected) => {
    expect(failureEvent(new TransactionError('x', { code: 'ERR__STATE', ...flags }))).toBe(expected);
  });

  it('changes nothing for an error that is not a TransactionError', () => {
    expect(failureEvent(new AIOKafkaError('closed', { code: 'AIO_PRODUCER_CLOSED', fatal: true }))).toBeUndefined();
    expect(failureEvent(new Error('x'))).toBeUndefined();
  });
});

describe('fatalTransactionError', () => {
  it('wraps the producer fatal error as a fatal TransactionError, keeping its code and the error as cause', () => {
    const fatal = new AIOKafkaError('ERR__FATAL: Fatal error: fenced', { code: 'ERR__FATAL', fatal: true });
    const err = fatalTransactionError(fatal);
    expect(err).toBeInstanceOf(TransactionError);
    expect(err).toMatchObject({ code: 'ERR__FATAL', fatal: true, abortable: false, retriable: false });
    expect(err.cause).toBe(fatal);
  });

  it('takes a fatal TransactionError as it is', () => {
    const fenced = new TransactionError('commit failed: fenced', { code: 'ERR__FENCED', fatal: true });
    expect(fatalTransactionError(fenced)).toBe(fenced);
  });
});
