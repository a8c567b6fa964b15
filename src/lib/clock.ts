/** Time as a dependency, so lifecycle rules (expiry, purge) are testable without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date): Clock & { advance(ms: number): void; set(at: Date): void } {
  let current = at.getTime();
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
    set(next: Date) {
      current = next.getTime();
    },
  };
}
