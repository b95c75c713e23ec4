import { isInvalidMessage } from '../strategies/processing-strategy.js';

/**
 * What the processor throws for an error its pipeline let through: an `InvalidMessage` reaching the
 * processor means no step parked it (the pipeline has no DeadLetter step), which is said in so many
 * words, with the message's error as cause; any other error is thrown as it is.
 */
export function unparkedFailure(error: unknown): unknown {
  if (isInvalidMessage(error)) {
    return new Error(
      `a message failed and nothing parked it (the pipeline has no DeadLetter step): ${error.message}`,
      { cause: error },
    );
  }
  return error;
}
