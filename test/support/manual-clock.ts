import type { Clock } from '../../src/common/clock.ts';

/** A clock the test moves by hand (STYLE §7): starts at a whole second near the real time. */
export interface ManualClock extends Clock {
  set(at: Date | number): void;
  advance(ms: number): void;
}

export function manualClock(start = Math.floor(Date.now() / 1000) * 1000): ManualClock {
  let now = start;
  return {
    now: () => new Date(now),
    set: (at) => { now = typeof at === 'number' ? at : at.getTime(); },
    advance: (ms) => { now += ms; },
  };
}
