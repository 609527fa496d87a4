/**
 * Says whether a recurring failure is worth logging: when it is new for its key, when its message
 * changed, or when `againAfterMs` passed since it was last logged. `settle` forgets keys that
 * stopped failing, so their next failure is news again.
 */
export class ReportThrottle {
  private readonly last = new Map<string, { message: string; at: number }>();

  constructor(
    private readonly againAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  shouldReport(key: string, message: string): boolean {
    const last = this.last.get(key);
    if (last && last.message === message && this.now() - last.at < this.againAfterMs) return false;
    this.last.set(key, { message, at: this.now() });
    return true;
  }

  /** Keeps only the keys still failing. */
  settle(stillFailing: ReadonlySet<string>): void {
    for (const key of [...this.last.keys()]) if (!stillFailing.has(key)) this.last.delete(key);
  }
}
