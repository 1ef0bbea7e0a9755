import { describe, expect, it } from 'vitest';
import { isUuid, newId, newTimeOrderedId, timeOfTimeOrderedId } from '../../src/common/ids.ts';

describe('newTimeOrderedId', () => {
  it('is a lower-case RFC 9562 version 7 UUID carrying the time in its first 48 bits', () => {
    const at = Date.UTC(2026, 10, 23, 12, 0, 0, 123);
    const id = newTimeOrderedId(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts ids of later milliseconds after earlier ones, and never repeats', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newTimeOrderedId(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, () => newTimeOrderedId(1_700_000_000_000))).size).toBe(10_000);
  });
});

describe('timeOfTimeOrderedId', () => {
  it('reads back the millisecond a time-ordered id was made at, and null for any other id', () => {
    const at = Date.UTC(2026, 10, 23, 16, 30, 0, 456);
    expect(timeOfTimeOrderedId(newTimeOrderedId(at))?.getTime()).toBe(at);
    expect(timeOfTimeOrderedId(newId())).toBeNull();
    expect(timeOfTimeOrderedId('not-a-uuid')).toBeNull();
  });
});
