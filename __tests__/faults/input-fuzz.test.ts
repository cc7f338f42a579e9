import { InvalidArgumentError, isAIOKafkaError, type ProduceOptions } from '../../src';
import { onCkjs } from '../helpers/binding';
import { onMockCluster, randomTopic } from '../helpers/broker';
import { prng } from '../helpers/prng';
import { readTopic } from '../helpers/read-topic';
import { record } from './ledger';
import { useBroker } from './setup';

const { broker, connect } = useBroker();

interface Call {
  topic: string;
  value: unknown;
  options: unknown;
  /** The defect put in on purpose, or undefined for a valid call. */
  defect: string | undefined;
  mode: 'await' | 'produce2' | 'fire-and-forget';
  id: number;
}

const MAX_BYTES = 50_000;
/** A header value that is not UTF-8. */
const BINARY = Buffer.from([0xc3, 0x28]);
/** Headers that are valid on the suite's binding only (core/headers.ts). */
const BINARY_HEADERS_VALID: unknown[] = onCkjs ? [[{ a: BINARY }]] : [];

function makeCall(random: () => number, topic: string, id: number): Call {
  const pick = <T,>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const mode = pick(['await', 'produce2', 'fire-and-forget'] as const);
  const valid: Omit<Call, 'defect' | 'mode' | 'id'> = {
    topic,
    value: pick<unknown>([`v${id}`, Buffer.from(`v${id}`), `v${id}:${'x'.repeat(Math.floor(random() * 5000))}`]),
    options: {
      key: pick<unknown>([undefined, null, `k${id % 13}`, Buffer.from(`k${id % 13}`)]),
      // The mock cluster creates 4 partitions; a real cluster may create only one.
      partition: pick<unknown>(onMockCluster ? [undefined, null, 0, 1, 2, 3] : [undefined, null, 0]),
      headers: pick<unknown>([undefined, [], [{ id: String(id) }], [{ id: String(id), b: Buffer.from('é') }, { c: 'd' }], ...BINARY_HEADERS_VALID]),
      timestamp: pick<unknown>([undefined, null, Date.now()]),
    },
  };
  const defects: Array<[string, () => Partial<Call>]> = [
    ['empty topic', () => ({ topic: '' })],
    ['topic too long', () => ({ topic: 'a'.repeat(250) })],
    ['illegal topic character', () => ({ topic: `${topic}/x` })],
    ['number value', () => ({ value: id })],
    ['object value', () => ({ value: { id } })],
    ['undefined value', () => ({ value: undefined })],
    ['fractional partition', () => ({ options: { ...(valid.options as object), partition: 1.5 } })],
    ['negative partition', () => ({ options: { ...(valid.options as object), partition: -2 } })],
    ['partition that does not exist', () => ({ options: { ...(valid.options as object), partition: 999 } })],
    ['number key', () => ({ options: { ...(valid.options as object), key: 5 } })],
    ['headers neither a map nor an array', () => ({ options: { ...(valid.options as object), headers: 'a=b' } })],
    ['header value not a string', () => ({ options: { ...(valid.options as object), headers: [{ a: 5 }] } })],
    // node-rdkafka sends header values as C strings: bytes that are not NUL-free UTF-8 are refused.
    // CKJS sends Buffers byte for byte: there they are a valid call (BINARY_HEADERS_VALID).
    ...(onCkjs ? [] : [['binary header value', () => ({ options: { ...(valid.options as object), headers: [{ a: BINARY }] } })] as [string, () => Partial<Call>]]),
    ['bad timestamp', () => ({ options: { ...(valid.options as object), timestamp: -1 } })],
    ['oversized value', () => ({ value: `v${id}:${'x'.repeat(MAX_BYTES * 2)}` })],
  ];
  // Values start with v<id>, so the read-back can be matched to the calls.
  if (random() < 0.5) return { ...valid, defect: undefined, mode, id };
  const [defect, change] = pick(defects);
  return { ...valid, ...change(), defect, mode, id };
}

describe('bad input fuzz', () => {
  it('10,000 random calls: every invalid one gets InvalidArgumentError, every valid one is delivered, nothing else is affected', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261121);
    const random = prng(seed);
    const producer = await connect({ 'message.max.bytes': MAX_BYTES });
    const topic = randomTopic('fuzz');
    await producer.produce(topic, 'creates the topic: partition counts are known before the fuzz');
    // produce2 also reports each refusal out of band; the fuzz judges them through the promise.
    producer.on('deliveryError', () => {});
    const unexpected: Array<{ call: Omit<Call, 'value'>; outcome: string }> = [];
    const summary = ({ value: _value, ...rest }: Call): Omit<Call, 'value'> => rest;
    const deliveredIds = new Set<number>();
    let rejectedAsInvalid = 0;
    const pending: Array<Promise<void>> = [];

    const judge = (call: Call, err: unknown): void => {
      if (err === undefined) {
        if (call.defect !== undefined) unexpected.push({ call: summary(call), outcome: 'delivered' });
        else deliveredIds.add(call.id);
        return;
      }
      if (call.defect !== undefined && err instanceof InvalidArgumentError) {
        rejectedAsInvalid++;
        return;
      }
      const outcome = isAIOKafkaError(err) ? `${err.name} ${err.code}: ${err.message}` : String(err);
      unexpected.push({ call: summary(call), outcome });
    };

    for (let id = 0; id < 10_000; id++) {
      const call = makeCall(random, topic, id);
      const args = [call.topic, call.value as string, call.options as ProduceOptions] as const;
      if (call.mode === 'fire-and-forget') {
        try {
          producer.produce2(args[0], args[1], { ...(args[2] as object), fireAndForget: true, onDelivery: (err) => judge(call, err ?? undefined) });
        } catch (err) {
          judge(call, err);
        }
      } else {
        const promise = call.mode === 'await' ? producer.produce(...args) : producer.produce2(...args);
        pending.push(promise.then(() => judge(call, undefined), (err: unknown) => judge(call, err)));
      }
    }
    await Promise.all(pending);
    await producer.flush(30_000);

    const read = await readTopic(broker().bootstrapServers, topic, deliveredIds.size + 1, { settleMs: 1500, timeoutMs: 60_000 });
    const readIds = read.map((m) => /^v(\d+)/.exec(m.value!.toString())?.[1]).filter((id): id is string => id !== undefined);
    record('bad input fuzz: 10,000 random calls', {
      seed,
      valid: deliveredIds.size + unexpected.filter((u) => u.call.defect === undefined).length,
      delivered: deliveredIds.size,
      rejectedAsInvalid,
      unexpected: unexpected.length,
      readBack: read.length - 1,
    });
    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(rejectedAsInvalid + deliveredIds.size).toBe(10_000);
    expect(readIds.map(Number).sort((a, b) => a - b)).toEqual([...deliveredIds].sort((a, b) => a - b));
  });
});
