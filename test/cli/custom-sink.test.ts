import { describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
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
