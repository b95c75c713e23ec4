import {
  DescribeStreamConsumerCommand,
  type KinesisClient,
  RegisterStreamConsumerCommand,
} from '@aws-sdk/client-kinesis';
import type { Clock } from '../../clock.js';
import { describeError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { errorName, isTransient } from './kinesis-errors.js';

/** A registered enhanced fan-out consumer of a stream. */
export interface StreamConsumer {
  readonly name: string;
  readonly arn: string;
}

export interface EnsureConsumerOptions {
  readonly client: KinesisClient;
  readonly streamArn: string;
  readonly name: string;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** How long to wait for the consumer to become ACTIVE (default 120 s; Kinesis takes seconds). */
  readonly activeWithinMs?: number;
  /** Wait between `DescribeStreamConsumer` calls while it is not ACTIVE (default 500 ms). */
  readonly checkEveryMs?: number;
}

/**
 * Reuses the stream consumer `name` (`DescribeStreamConsumer`) or registers it
 * (`RegisterStreamConsumer`), then waits until it is ACTIVE. Agents starting together may all register:
 * the losers' `ResourceInUseException` means it exists, and they describe it again. A consumer being
 * deleted is waited out and registered anew.
 * @throws SourceUnavailableError when the consumer cannot be registered (e.g. not allowed: IAM needs
 * `kinesis:RegisterStreamConsumer` and `kinesis:DescribeStreamConsumer`) or does not become ACTIVE in time.
 */
export async function ensureStreamConsumer(options: EnsureConsumerOptions): Promise<StreamConsumer> {
  const { client, streamArn, name, clock, signal } = options;
  const deadline = clock.now() + (options.activeWithinMs ?? 120_000);
  const every = options.checkEveryMs ?? 500;
  const call = { ...(signal === undefined ? {} : { abortSignal: signal }) };
  for (;;) {
    try {
      const out = await client.send(
        new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }),
        call,
      );
      const description = out.ConsumerDescription;
      if (description?.ConsumerStatus === 'ACTIVE' && description.ConsumerARN !== undefined)
        return { name, arn: description.ConsumerARN };
    } catch (error) {
      if (signal?.aborted) throw error;
      if (errorName(error) === 'ResourceNotFoundException') {
        await register(options).catch((refused: unknown) => {
          // Registered meanwhile by another agent (`ResourceInUseException`), or a passing failure.
          if (errorName(refused) !== 'ResourceInUseException' && !isTransient(refused))
            throw cannotRegister(name, streamArn, refused);
        });
        continue;
      }
      if (!isTransient(error)) throw cannotRegister(name, streamArn, error);
    }
    if (clock.now() >= deadline) {
      throw new SourceUnavailableError(
        `Kinesis stream consumer "${name}" of ${streamArn} did not become ACTIVE in time`,
        { hint: 'check it with aws kinesis describe-stream-consumer, then start again' },
      );
    }
    await clock.sleep(every, signal);
  }
}

async function register(options: EnsureConsumerOptions): Promise<void> {
  await options.client.send(
    new RegisterStreamConsumerCommand({ StreamARN: options.streamArn, ConsumerName: options.name }),
    options.signal === undefined ? {} : { abortSignal: options.signal },
  );
}

function cannotRegister(name: string, streamArn: string, error: unknown): SourceUnavailableError {
  return new SourceUnavailableError(
    `cannot register or describe Kinesis stream consumer "${name}" of ${streamArn}: ${errorName(error)}: ${describeError(error)}`,
    {
      cause: error,
      hint: 'enhanced fan-out needs kinesis:RegisterStreamConsumer, kinesis:DescribeStreamConsumer and kinesis:SubscribeToShard; or drop ?consumer= to poll',
    },
  );
}
