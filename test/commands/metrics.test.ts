import { describe, expect, it } from 'vitest';
import { startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

async function scrape(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

function metric(text: string, name: string, labels = ''): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels ? `{${labels}` : ''}`) && !l.startsWith('#'));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('consume --metrics-port', () => {
  it('Given a consuming agent, When /metrics is scraped during consumption, Then the counters move and health endpoints answer', async () => {
    const dir = tempDir();
    writeConfig(
      dir,
      `{
        name: 'metered',
        source: 'file:events.ndjson',
        rules: [rule({ name: 'r', on: 'tick', process: 'p' })],
        processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: () => new Promise((r) => setTimeout(r, 2)) }] })],
      }`,
    );
    const { writeFileSync, appendFileSync } = await import('node:fs');
    const line = (i: number) =>
      `${JSON.stringify({ specversion: '1.0', id: `t${i}`, source: 'm', type: 'tick' })}\n`;
    writeFileSync(`${dir}/events.ndjson`, Array.from({ length: 200 }, (_, i) => line(i)).join(''));
    const run = startAgentctl(['consume', '--metrics-port', '0', '--metrics-host', '127.0.0.1', '--json'], {
      cwd: dir,
    });
    try {
      await expect.poll(() => run.stdout().includes('"type":"metrics"'), { timeout: 15_000 }).toBe(true);
      const url = JSON.parse(
        run
          .stdout()
          .split('\n')
          .find((l) => l.includes('"type":"metrics"'))!,
      ).url as string;
      const base = url.replace(/\/metrics$/, '');
      await expect.poll(async () => (await scrape(`${base}/readyz`)).status, { timeout: 15_000 }).toBe(200);
      await expect
        .poll(async () => metric((await scrape(url)).text, 'agentctl_events_processed_total'), {
          timeout: 15_000,
        })
        .toBe(200);
      const first = await scrape(url);
      expect(metric(first.text, 'agentctl_runs_total', 'process="p",state="succeeded"')).toBe(200);
      expect(
        first.text
          .split('\n')
          .filter((l) => l.startsWith('agentctl_processing_state'))
          .join(' '),
      ).toMatch(/state="(STEADY|ACTIVE)",agent="metered"} 1/);
      expect(first.text).toContain('agentctl_run_duration_seconds_bucket');
      expect(first.text).toContain('agentctl_partition_lag_records');
      appendFileSync(`${dir}/events.ndjson`, Array.from({ length: 50 }, (_, i) => line(1000 + i)).join(''));
      await expect
        .poll(async () => metric((await scrape(url)).text, 'agentctl_events_read_total'), { timeout: 15_000 })
        .toBe(250);
      expect((await scrape(`${base}/healthz`)).status).toBe(200);
      expect((await scrape(`${base}/nope`)).status).toBe(404);
    } finally {
      run.child.kill('SIGTERM');
      expect((await run.done).code).toBe(0);
    }
  });
});
