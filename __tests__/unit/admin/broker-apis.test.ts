import { ApiVersionsReader, requireApi, type BrokerApis } from '../../../src/admin/broker-apis';
import { UnsupportedByClusterError } from '../../../src/core/errors';
import { apiVersionLines } from './fake-cluster-client';

describe('ApiVersionsReader', () => {
  test('reads the first complete list, ended by the next line of the same broker', () => {
    const found: BrokerApis[] = [];
    const reader = new ApiVersionsReader((apis) => found.push(apis));
    const lines = apiVersionLines('127.0.0.1:1/bootstrap', ['Produce', 'Metadata']);
    for (const line of lines.slice(0, -1)) reader.note(line);
    // A line of another broker, or of another facility, does not end it.
    reader.note({ fac: 'APIVERSION', message: '[thrd:x:2/2]: x:2/2:  Feature MsgVer1: Produce (2..32767) supported by broker' });
    reader.note({ fac: 'BROKER', message: '[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap: something' });
    expect(reader.result).toBeUndefined();
    reader.note(lines.at(-1)!);
    expect(found).toHaveLength(1);
    expect(found[0]!.broker).toBe('127.0.0.1:1/bootstrap');
    expect([...found[0]!.apis]).toEqual([
      ['Produce', [0, 4]],
      ['Metadata', [0, 4]],
    ]);
    // A second broker's list changes nothing.
    for (const line of apiVersionLines('x:2/2', ['Produce'])) reader.note(line);
    expect(found).toHaveLength(1);
  });

  test('requireApi refuses a request the list lacks, naming it and the broker', () => {
    const known: BrokerApis = { broker: 'b:1/1', apis: new Map([['Metadata', [0, 12] as const]]) };
    expect(() => requireApi('listTopics', 'Metadata', known)).not.toThrow();
    expect(() => requireApi('createTopic', 'CreateTopics', undefined)).not.toThrow();
    let err: unknown;
    try {
      requireApi('createTopic', 'CreateTopics', known);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedByClusterError);
    expect(err).toMatchObject({ name: 'UnsupportedByClusterError', code: 'ERR__UNSUPPORTED_FEATURE', retriable: false, api: 'CreateTopics' });
    expect((err as Error).message).toMatch(/createTopic: the cluster does not serve CreateTopics requests \(broker b:1\/1/);
  });
});
