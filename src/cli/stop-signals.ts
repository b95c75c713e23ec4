import { constants } from 'node:os';

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
  /** Time the command gets to end by itself after `terminate` before the process exits (default 1 s). */
  readonly flushMs?: number;
}

/** What a terminated command may still write (its summary, a last heartbeat) before the process exits. */
const FLUSH_MS = 1_000;

/**
 * The operator's habit for long-running commands: the first SIGINT or SIGTERM drains gracefully, a
 * second one stops at once. Stopping at once is a promise whatever hangs (a call to a source that never
 * answers, a step that never returns): `terminate` abandons the work, and the process exits with
 * 128 + the signal's number (130 for SIGINT, 143 for SIGTERM) as soon as the command ended, at the
 * latest `flushMs` later. Returns the function that removes the handlers.
 */
export function onStopSignals(handlers: StopSignalHandlers): () => void {
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      handlers.say({ type: 'signal', signal, action: 'drain' }, `${signal}: ${handlers.drainNote}`);
      handlers.drain();
      return;
    }
    handlers.say({ type: 'signal', signal, action: 'terminate' }, `${signal}: ${handlers.terminateNote}`);
    const code = 128 + (constants.signals[signal] ?? constants.signals.SIGINT);
    process.exitCode = code;
    // Armed before `terminate`, which may throw; unref'd, so that a command that ends sooner exits sooner.
    setTimeout(() => process.exit(code), handlers.flushMs ?? FLUSH_MS).unref();
    handlers.terminate();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
