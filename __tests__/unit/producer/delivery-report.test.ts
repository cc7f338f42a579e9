import type { NativeDeliveryReport } from '../../../src/native/producer';
import { toDeliveryReport } from '../../../src/producer/delivery-report';

const native = (fields: Partial<NativeDeliveryReport>): NativeDeliveryReport => ({
  topic: 't',
  partition: 2,
  offset: 41,
  size: 5,
  opaque: 7,
  ...fields,
});

describe('toDeliveryReport', () => {
  it('copies what it promises, not the opaque', () => {
    expect(toDeliveryReport(native({ timestamp: 1234, key: Buffer.from('k') }))).toEqual({
      topic: 't',
      partition: 2,
      offset: 41,
      size: 5,
      timestamp: 1234,
      key: Buffer.from('k'),
    });
  });

  it.each([-1001, -1])('leaves out an offset librdkafka does not know (%p), rather than pass a marker on as a position', (offset) => {
    const report = toDeliveryReport(native({ offset }));
    expect(report).not.toHaveProperty('offset');
    expect(report).toMatchObject({ topic: 't', partition: 2, size: 5 });
  });

  it('keeps offset 0 and leaves out a negative timestamp', () => {
    expect(toDeliveryReport(native({ offset: 0, timestamp: -1 }))).toEqual({ topic: 't', partition: 2, offset: 0, size: 5 });
  });
});
