import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * A sink written in the config (`registerSinkOpener`) that does not keep the Sink contract is reported
 * where the mistake is, and no event is lost: an incomplete sink stops the agent before it reads
 * anything; a send that resolves with something other than a `SendResult` parks its records with what
 * to fix. Both used to leave `consume --until-empty` running forever.
 */
describe('a hand-written sink', () => {
  const agent = `{ name: 'orders', publisher: { sink: 'mine:x' },
    rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })],
    processes: [defineProcess({ name: 'bill', publish: true, steps: [{ name: 'charge', run: () => ({ billed: true }) }] })] }`;
  const withSink = (sink: string) =>
    `import { registerSinkOpener } from 'agentctl/config';\nregisterSinkOpener('mine', async () => (${sink}) as never);`;

  function consume(dir: string) {
    expect(agentctl(['publish', '--type', 'order.paid', '--data', '{}'], { cwd: dir }).code).toBe(0);
    return agentctl(['consume', '--until-empty'], { cwd: dir, timeoutMs: 30_000 });
  }

  it('Given an opener that returns a sink without name and maxBatch, When the agent consumes, Then it exits 2 naming what is missing, and the fixed agent still reads the event', () => {
    const dir = tempDir();
    writeConfig(
      dir,
      agent,
      withSink(`{ async send() { return { failures: new Map() }; }, async close() {} }`),
    );

    const r = consume(dir);

    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'the opener of "mine:" sinks returned a sink without name (a non-empty string), maxBatch (a whole number ≥ 1)',
    );
    writeConfig(
      dir,
      agent,
      withSink(
        `{ name: 'mine', maxBatch: 10, async send() { return { failures: new Map() }; }, async close() {} }`,
      ),
    );
    const fixed = agentctl(['consume', '--until-empty'], { cwd: dir, timeoutMs: 30_000 });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('read 1,');
    expect(fixed.stdout).toContain('published 1');
  });

  it('Given a send that resolves with an array, When the agent consumes, Then it finishes and the record is parked with what to fix', () => {
    const dir = tempDir();
    writeConfig(
      dir,
      agent,
      withSink(`{ name: 'mine', maxBatch: 10,
        async send(records: readonly unknown[]) { return records.map(() => ({ ok: true })); }, async close() {} }`),
    );

    const r = consume(dir);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 parked for replay');
    const failed = agentctl(['failed', 'list', '--json'], { cwd: dir });
    expect(failed.json()).toEqual([
      expect.objectContaining({
        reason: 'publish',
        error: expect.stringContaining('mine: send resolved with an array, not { failures: Map }'),
      }),
    ]);
  });
});

/** The README's example of a sink of one's own (the first `ts` block after its heading), as written. */
function readmeWebhookConfig(): string {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Your own sink: `registerSinkOpener`'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (block === null) throw new Error('README: no ts block under "Your own sink"');
  return block[1]!;
}

describe("the README's webhook sink", () => {
  /** An HTTP endpoint that answers `status` and keeps what was POSTed to it. */
  async function endpoint(status: () => number) {
    const bodies: unknown[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        const code = status();
        if (code === 200) bodies.push(JSON.parse(body));
        response.writeHead(code).end();
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    return { url: `webhook:http://127.0.0.1:${port}/orders`, bodies, close: () => server.close() };
  }

  it('Given the config as the README writes it, When the agent consumes, Then each result is POSTed, and one the endpoint refused is parked, then delivered by replay --failed', async () => {
    let answer = 200;
    const hook = await endpoint(() => answer);
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'agentctl.config.ts'), readmeWebhookConfig());
      const env = { ORDERS_WEBHOOK: hook.url };
      for (const id of ['o-1', 'o-2'])
        expect(
          agentctl(['publish', '--type', 'order.paid', '--id', id, '--data', '{}'], { cwd: dir }).code,
        ).toBe(0);
      const first = await startAgentctl(['consume', '--until-empty'], { cwd: dir, env }).done;
      expect(first.code, first.stderr).toBe(0);
      expect(hook.bodies.flat()).toEqual([
        expect.objectContaining({ result: expect.objectContaining({ output: { billed: 'o-1' } }) }),
        expect.objectContaining({ result: expect.objectContaining({ output: { billed: 'o-2' } }) }),
      ]);

      answer = 503;
      expect(
        agentctl(['publish', '--type', 'order.paid', '--id', 'o-3', '--data', '{}'], { cwd: dir }).code,
      ).toBe(0);
      // The default contingency: 5 retries, ~3 s, then parked.
      const refused = await startAgentctl(['consume', '--until-empty'], { cwd: dir, env }).done;
      expect(refused.code, refused.stderr).toBe(0);
      const parked = agentctl(['failed', 'list', '--json'], { cwd: dir, env });
      expect(parked.json()).toEqual([
        expect.objectContaining({ reason: 'publish', sink: `webhook:${new URL(hook.url.slice(8)).host}` }),
      ]);
      expect(JSON.stringify(parked.json())).toContain('webhook answered 503');

      answer = 200;
      const replay = await startAgentctl(['replay', '--failed', '--yes'], { cwd: dir, env }).done;
      expect(replay.code, replay.stderr).toBe(0);
      expect(hook.bodies.flat()).toHaveLength(3);
      expect(hook.bodies.flat()[2]).toEqual(
        expect.objectContaining({ result: expect.objectContaining({ output: { billed: 'o-3' } }) }),
      );
    } finally {
      hook.close();
    }
  }, 60_000);
});
