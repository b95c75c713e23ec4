/**
 * Events per second from a monotonically increasing counter, sampled at each heartbeat, with a short
 * history for sparklines.
 */
export class ThroughputMeter {
  private lastCount = 0;
  private lastAt: number | undefined;
  private lastParked = 0;
  private readonly rates: number[] = [];
  private rate = 0;
  private errors = 0;

  constructor(private readonly historyLength = 60) {}

  /** Records the counters at `now`; returns the rate since the previous sample. */
  sample(count: number, parked: number, now: number): number {
    if (this.lastAt !== undefined && now > this.lastAt) {
      const seconds = (now - this.lastAt) / 1000;
      const done = count - this.lastCount;
      this.rate = Math.round((done / seconds) * 10) / 10;
      this.errors = done > 0 ? (parked - this.lastParked) / done : 0;
      this.rates.push(this.rate);
      if (this.rates.length > this.historyLength) this.rates.shift();
    }
    this.lastCount = count;
    this.lastParked = parked;
    this.lastAt = now;
    return this.rate;
  }

  get perSecond(): number {
    return this.rate;
  }

  /** Share of messages done since the previous sample that were parked. */
  get errorRate(): number {
    return this.errors;
  }

  get history(): readonly number[] {
    return this.rates;
  }
}
