import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full collection before it
 * collects again: 50 % (a factor of 1.5). V8's own choice is dynamic, between 1.1 and 4 on a
 * machine with much memory, so the server's RSS swung with the garbage it had not yet collected
 * — 210–240 MB under the benchmark for a ~25 MB live heap (issue 7). Unlike a heap *limit*
 * (`--max-old-space-size`) this bounds nothing: a server that really holds more data grows as
 * before, it is only collected sooner. Measured at fixed request counts (compiled server): peak
 * RSS 190–199 → 145–149 MB for 10 full collections instead of 3, ~30 ms more GC pause over
 * 12.5 s of CPU; CPU per response unchanged within the machine's noise (docs/performance.md).
 */
export const SERVER_HEAP_GROWING_PERCENT = 50;

/**
 * Flags by which an operator has already decided how the heap is sized: then we add nothing.
 * (NODE_OPTIONS may carry only --max-old-space-size of them; node's command line all three.)
 */
const OPERATOR_HEAP_FLAG = /(?:^|\s)--(?:max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|heap[-_]growing[-_]percent)(?:[=\s]|$)/;

/** The V8 flags `serve` sets for itself, given node's own arguments and NODE_OPTIONS. */
export function serverHeapFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, nodeOptions ?? ''].join(' ');
  return OPERATOR_HEAP_FLAG.test(given) ? [] : [`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`];
}

/**
 * Applies serverHeapFlags to the running process. V8 reads this flag each time it computes the
 * next collection's threshold, so setting it at run time takes effect (heap-size flags would not:
 * they are read once when the heap is created, which is why this is not `--max-old-space-size`).
 */
export function applyServerHeapDefaults(): void {
  for (const flag of serverHeapFlags(process.execArgv, process.env.NODE_OPTIONS)) v8.setFlagsFromString(flag);
}
