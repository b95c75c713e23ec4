import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { redactSecrets } from '../../redact.js';
import { kinesisStreamOf } from '../../sources/source-uri.js';
import { createKinesisClient } from '../../transports/kinesis/kinesis-client.js';
import { kinesisSettings } from '../../transports/kinesis/kinesis-settings.js';
import { CHECK_TIMEOUT_MS, type DoctorCheck, reasonOf, withDeadline } from './doctor-check.js';

/** Describes the stream of `uri` with the credentials the SDK finds (one call, no retry), then closes. */
export async function reachKinesis(
  name: string,
  uri: string,
  adapterSettings: unknown,
): Promise<DoctorCheck> {
  const display = redactSecrets(uri);
  let stream: string;
  let client: ReturnType<typeof createKinesisClient>;
  try {
    const parsed = kinesisStreamOf(uri, (why) => {
      throw new Error(`invalid ${name} "${display}": ${why}`);
    });
    stream = parsed.name;
    const settings = kinesisSettings(parsed.params, adapterSettings);
    client = createKinesisClient({ ...settings, maxAttempts: 1, requestTimeoutMs: CHECK_TIMEOUT_MS });
  } catch (error) {
    return {
      name,
      ok: false,
      detail: redactSecrets(reasonOf(error)),
      fix: 'fix the URI: kinesis://STREAM?region=R',
    };
  }
  try {
    const out = await withDeadline(
      client.send(new DescribeStreamSummaryCommand({ StreamName: stream })),
      CHECK_TIMEOUT_MS * 2,
      `describe ${stream}`,
    );
    const summary = out.StreamDescriptionSummary;
    const status = summary?.StreamStatus ?? 'unknown';
    return {
      name,
      ok: status === 'ACTIVE' || status === 'UPDATING',
      detail: `${display}: stream ${stream} ${status}, ${summary?.OpenShardCount ?? '?'} open shards`,
      ...(status === 'ACTIVE' || status === 'UPDATING'
        ? {}
        : { fix: `wait for stream ${stream} to be ACTIVE` }),
    };
  } catch (error) {
    const text = redactSecrets(reasonOf(error));
    const kind = `${(error as { name?: string }).name ?? ''} ${text}`;
    const fix = /ResourceNotFound|not found/i.test(kind)
      ? `check the stream name and region (aws kinesis list-streams --region …), or create stream ${stream}`
      : /credential|security token|signature|AccessDenied|UnrecognizedClient/i.test(kind)
        ? 'check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and their kinesis:DescribeStreamSummary permission'
        : 'check the region and endpoint in the URI and that the endpoint is reachable from here';
    return { name, ok: false, detail: `${display}: ${text}`, fix };
  } finally {
    client.destroy();
  }
}
