/** What `onStopSignals` says and does on each signal. */
export interface StopSignalHandlers {
  /** Reports an action: the NDJSON event, and the human line. */
  readonly say: (event: Record<string, unknown>, human: string) => void;
  /** The first SIGINT/SIGTERM: stop taking work and finish what is in flight. */
  readonly drain: () => void;
  /** Every later one: stop at once. */
  readonly terminate: () => void;
  /** What draining means for this command, for the human line. */
  readonly drainNote: string;
  /** What terminating means for this command, for the human line. */
  readonly terminateNote: string;
}

/**
 * The operator's habit for long-running commands: the first SIGINT or SIGTERM drains gracefully, a
 * second one stops at once. Returns the function that removes the handlers.
 */
export function onStopSignals(handlers: StopSignalHandlers): () => void {
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      handlers.say({ type: 'signal', signal, action: 'drain' }, `${signal}: ${handlers.drainNote}`);
      handlers.drain();
    } else {
      handlers.say({ type: 'signal', signal, action: 'terminate' }, `${signal}: ${handlers.terminateNote}`);
      handlers.terminate();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
