import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { type Kinesalite, startKinesalite } from './support/kinesalite.js';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

let kinesis: Kinesalite;
beforeAll(async () => {
  kinesis = await startKinesalite();
});
afterAll(async () => {
  await kinesis.close();
});

/** doctor --json on a source and a sink, in a fresh directory: its checks. */
async function doctor(source: string, sink: string): Promise<{ code: number; checks: Check[] }> {
  const dir = tempDir('doctor-kinesis-');
  // Spawned asynchronously: kinesalite runs in this process and must answer while the CLI waits.
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../support/cli.js');
  const child = spawn(process.execPath, [BIN, 'doctor', '--json', '--source', source, '--sink', sink], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: dir },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, checks: (JSON.parse(out) as { checks: Check[] }).checks };
}

describe('agentctl doctor on Kinesis (kinesalite through the AWS SDK)', () => {
  it('describes the source and sink streams: ✓ when they exist, ✗ with the fix when one does not', async () => {
    const stream = await kinesis.createStream(2, 'doctor');
    const found = await doctor(kinesis.uri(stream), kinesis.uri(stream));
    expect(found.code).toBe(0);
    expect(found.checks.find((c) => c.name === 'source reachable')).toMatchObject({
      ok: true,
      detail: expect.stringContaining(`stream ${stream} ACTIVE, 2 open shards`),
    });
    expect(found.checks.find((c) => c.name === 'sink reachable')?.ok).toBe(true);
    const missing = await doctor(kinesis.uri('no-such-stream'), 'none');
    expect(missing.code).toBe(1);
    expect(missing.checks.find((c) => c.name === 'source reachable')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('check the stream name and region'),
    });
  });
});
