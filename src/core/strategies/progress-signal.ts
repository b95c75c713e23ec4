/**
 * Lets a strategy's `poll` or `join` wait for its asynchronous work to move: `wait()` returns a promise
 * that the next `notify()` resolves. Waits between two notifications share one promise, and nothing is
 * allocated while nobody waits. Internal to the strategies.
 */
export class ProgressSignal {
  private promise: Promise<void> | undefined;
  private resolve: (() => void) | undefined;

  /**
   * Resolves at the next `notify()`. With `downstream` (what the next step's `poll` returned), resolves
   * once that settled too, and rejects if it rejects.
   */
  wait(downstream?: Promise<void>): Promise<unknown> {
    if (this.promise === undefined) {
      this.promise = new Promise<void>((resolve) => {
        this.resolve = resolve;
      });
    }
    return downstream === undefined ? this.promise : Promise.all([downstream, this.promise]);
  }

  /** Resolves the waits so far; later waits get a new promise. */
  notify(): void {
    const resolve = this.resolve;
    this.promise = undefined;
    this.resolve = undefined;
    resolve?.();
  }
}
