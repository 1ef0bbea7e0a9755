import { describe, expect, it } from 'vitest';
import { SERVER_HEAP_GROWING_PERCENT, serverHeapFlags } from '../../src/cli/heap-defaults.ts';

describe('serverHeapFlags: the V8 heap default `serve` sets for itself', () => {
  it('sets the heap growing factor when the operator chose no heap flag', () => {
    expect(serverHeapFlags([], undefined)).toEqual([`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`]);
    expect(serverHeapFlags(['--enable-source-maps'], '--max-semi-space-size=8 --trace-warnings')).toEqual([`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`]);
  });

  it('leaves the heap alone when NODE_OPTIONS or node arguments size it', () => {
    expect(serverHeapFlags([], '--max-old-space-size=512')).toEqual([]);
    expect(serverHeapFlags([], '--enable-source-maps --max_old_space_size=512')).toEqual([]);
    expect(serverHeapFlags(['--max-old-space-size=512'], undefined)).toEqual([]);
    expect(serverHeapFlags(['--max-heap-size=300'], undefined)).toEqual([]);
    expect(serverHeapFlags(['--heap-growing-percent', '20'], undefined)).toEqual([]);
    expect(serverHeapFlags(['--heap-growing-percent=0'], '')).toEqual([]);
  });

  it('is not fooled by a flag that only starts like a heap flag', () => {
    expect(serverHeapFlags([], '--max-old-space-size-foo=1')).toEqual([`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`]);
  });
});
