import { InvalidArgumentError } from '../../../src';
import { toNativeHeaders } from '../../../src/core/headers';

describe('toNativeHeaders', () => {
  it('turns an object map into one single-entry header per property, in order', () => {
    expect(toNativeHeaders('t', { 'trace-id': 'abc', bin: Buffer.from('web'), n: '1' })).toEqual([
      { 'trace-id': 'abc' },
      { bin: Buffer.from('web') },
      { n: '1' },
    ]);
  });

  it('sends an array value as repeated headers of the same name, and skips undefined values', () => {
    expect(toNativeHeaders('t', { tag: ['a', Buffer.from('b')], absent: undefined, last: 'z' })).toEqual([
      { tag: 'a' },
      { tag: Buffer.from('b') },
      { last: 'z' },
    ]);
  });

  it('passes a list of single-entry records through as it is (no copy on the hot path)', () => {
    const list = [{ a: '1' }, { a: '2' }];
    expect(toNativeHeaders('t', list)).toBe(list);
  });

  it('splits multi-entry records of a list into single-entry headers, leaving the caller’s list alone', () => {
    const list = [{ a: '1', b: '2' }, { c: '3' }];
    expect(toNativeHeaders('t', list)).toEqual([{ a: '1' }, { b: '2' }, { c: '3' }]);
    expect(list).toEqual([{ a: '1', b: '2' }, { c: '3' }]);
  });

  it('gives node-rdkafka no headers for none, an empty list or an empty map', () => {
    expect(toNativeHeaders('t', undefined)).toBeUndefined();
    expect(toNativeHeaders('t', null)).toBeUndefined();
    expect(toNativeHeaders('t', [])).toBeUndefined();
    expect(toNativeHeaders('t', {})).toBeUndefined();
    expect(toNativeHeaders('t', { only: undefined })).toBeUndefined();
  });

  it('accepts strings with surrogate pairs (astral characters)', () => {
    expect(toNativeHeaders('t', { emoji: 'ok 😀' })).toEqual([{ emoji: 'ok 😀' }]);
  });

  it('accepts a map with no prototype and NUL-free UTF-8 Buffers, including an empty one', () => {
    const map = Object.assign(Object.create(null) as Record<string, unknown>, { e: Buffer.alloc(0), u: Buffer.from('żółw ✓') });
    expect(toNativeHeaders('t', map)).toEqual([{ e: Buffer.alloc(0) }, { u: Buffer.from('żółw ✓') }]);
  });

  it.each<[string, unknown, RegExp]>([
    ['a string', 'a=b', /headers for topic "t" must be an object map or an array/],
    ['a Buffer', Buffer.from('a'), /headers for topic "t" must be an object map or an array/],
    ['a Map', new Map([['a', 'b']]), /must be a plain object or an array of objects, got an object \(Map\)/],
    ['a number in a map', { count: 1 }, /header "count" for topic "t" must be a string or a Buffer, got number 1/],
    ['null in a map (node-rdkafka would send "null")', { n: null }, /header "n" for topic "t" must be a string or a Buffer, got null/],
    ['a number in a map array', { tag: ['a', 2] }, /header "tag" for topic "t" must be a string or a Buffer/],
    ['a non-UTF-8 Buffer in a map', { bin: Buffer.from([0xff, 0xfe]) }, /header "bin" for topic "t" is a Buffer that is not NUL-free UTF-8/],
    ['a Buffer with a NUL in a map', { bin: Buffer.from([0x41, 0, 0x42]) }, /header "bin" for topic "t" is a Buffer that is not NUL-free UTF-8/],
    ['a string with a NUL in a map', { s: 'a\0b' }, /header "s" for topic "t" contains a NUL character/],
    ['a string with a lone surrogate', { s: 'a\ud800b' }, /header "s" for topic "t" contains a lone UTF-16 surrogate/],
    ['a NUL in a map name', { 'a\0': 'x' }, /a header name for topic "t" contains a NUL character/],
    ['a list entry that is not an object', ['a'], /header 0 for topic "t" must be an object, got string a/],
    ['a list record with no entries', [{ a: 'x' }, {}], /header 1 for topic "t" has no entries/],
    ['a non-UTF-8 Buffer in a list', [{ bin: Buffer.from([0xc3, 0x28]) }], /header "bin" for topic "t" is a Buffer that is not NUL-free UTF-8/],
  ])('refuses %s, naming the header', (_what, headers, message) => {
    expect(() => toNativeHeaders('t', headers)).toThrow(InvalidArgumentError);
    expect(() => toNativeHeaders('t', headers)).toThrow(message);
  });
});
