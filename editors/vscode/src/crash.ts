// Restart policy after the server exits unexpectedly: wait longer after each
// crash (1 s, 2 s, 4 s, …) and stop trying after repeated crashes in a short
// time, when restarting again would only hide a real problem.

export interface CrashPolicyOptions {
  maxCrashes: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultCrashPolicy: CrashPolicyOptions = { maxCrashes: 5, windowMs: 3 * 60_000, baseDelayMs: 1000, maxDelayMs: 30_000 };

export type CrashDecision =
  | { action: 'restart'; delayMs: number; crashes: number }
  | { action: 'give-up'; crashes: number; message: string };

export class CrashPolicy {
  private crashes: number[] = [];

  constructor(private readonly opts: CrashPolicyOptions = defaultCrashPolicy) {}

  /** Records a crash at `now` (ms) and says what to do. */
  onCrash(now: number): CrashDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.opts.windowMs);
    this.crashes.push(now);
    const n = this.crashes.length;
    if (n >= this.opts.maxCrashes) {
      const minutes = Math.round(this.opts.windowMs / 60_000);
      return {
        action: 'give-up',
        crashes: n,
        message:
          `The GitOps language server crashed ${n} times in ${minutes} minute${minutes === 1 ? '' : 's'} and will not be restarted automatically. ` +
          `Its output ("GitOps" output channel) shows why; run "GitOps: Restart Server" once it is fixed.`,
      };
    }
    return { action: 'restart', crashes: n, delayMs: Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (n - 1)) };
  }

  /** A manual restart starts counting afresh. */
  reset(): void {
    this.crashes = [];
  }
}
