import type { KinesisClient } from '@aws-sdk/client-kinesis';

/** One SDK call seen by `instrument`. */
export interface Call {
  readonly command: string;
  readonly input: Record<string, unknown>;
  readonly at: number;
}

/**
 * Decides what happens to a call before it is sent: return an error to throw instead of sending, a
 * function to rewrite the response, or undefined to let it through untouched.
 */
export type Fault = (
  call: Call,
  index: number,
) => Error | ((output: Record<string, unknown>) => void) | undefined;

/**
 * Adds a middleware to a real SDK client that records every call and can inject faults. It sits in the
 * `initialize` step, ahead of the SDK's own retries, so an injected error reaches the caller as it is.
 */
export function instrument(client: KinesisClient, fault: Fault = () => undefined): Call[] {
  const calls: Call[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const call: Call = {
        command: String(context.commandName),
        input: args.input as Record<string, unknown>,
        at: Date.now(),
      };
      const index = calls.filter((c) => c.command === call.command).length;
      calls.push(call);
      const action = fault(call, index);
      if (action instanceof Error) throw action;
      const result = await next(args);
      if (typeof action === 'function') action(result.output as unknown as Record<string, unknown>);
      return result;
    },
    { step: 'initialize', name: 'testInstrument' },
  );
  return calls;
}
