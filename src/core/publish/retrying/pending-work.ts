/**
 * What closing the retrying publisher waits for: efforts whose promise is not settled yet, and tasks
 * (sends, retry sleeps, reactions) still under way. `drained` resolves once both are none at the same
 * time; work that starts while it waits is waited for too. Tracked tasks never make it reject.
 */
export class PendingWork {
  private readonly tasks = new Set<Promise<unknown>>();
  private unsettled = 0;
  /** Wakes `drained` when the last unsettled effort settles. */
  private onAllSettled: (() => void) | undefined;

  /** An effort was made: its promise is not settled yet. */
  opened(): void {
    this.unsettled++;
  }

  /** An effort's promise is about to settle. */
  settled(): void {
    if (--this.unsettled > 0) return;
    const wake = this.onAllSettled;
    this.onAllSettled = undefined;
    wake?.();
  }

  /** Waits for `promise` as well (its outcome is ignored). */
  track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.tasks.add(settled);
    void settled.then(() => this.tasks.delete(settled));
  }

  async drained(): Promise<void> {
    for (;;) {
      if (this.unsettled > 0) {
        await new Promise<void>((resolve) => {
          this.onAllSettled = resolve;
        });
      } else if (this.tasks.size > 0) {
        await Promise.allSettled([...this.tasks]);
      } else {
        return;
      }
    }
  }
}
