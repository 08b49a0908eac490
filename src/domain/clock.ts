/** Time is injected so tests control it instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #time: number;
  #tick = 0;
  constructor(start: Date = new Date('2026-01-01T00:00:00.000Z')) {
    this.#time = start.getTime();
  }
  now(): Date {
    const now = new Date(this.#time);
    this.#time += this.#tick;
    return now;
  }
  /** From now on each reading moves the clock on by `milliseconds` (0: it stands still again), as a real clock moves while work goes on. */
  tickEachReading(milliseconds: number): void {
    this.#tick = milliseconds;
  }
  advance(milliseconds: number): void {
    this.#time += milliseconds;
  }
}
