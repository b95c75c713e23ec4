/**
 * An agent in the spirit of a paper-submission service. Events: `submission.created`,
 * `submission.finalized`, `submission.withdrawn`. Rules start processes that check, classify and notify.
 *
 * Some events are made to fail on purpose, so the failed store and `replay --failed` have something real
 * to show:
 * - a submission without a title fails classification permanently (FatalError → parked at once);
 * - the overlap index "times out" for a few submissions, which succeed after retries;
 * - while the file `mail-server.down` exists in this directory, sending mail fails transiently until the
 *   retries run out (parked with reason `process`); remove the file and `agentctl replay --failed`.
 */
import { existsSync } from 'node:fs';
import { defineAgent, defineProcess, FatalError, rule } from 'agentctl/config';

interface Submission {
  readonly submissionId: string;
  readonly title?: string;
  readonly abstract?: string;
  readonly authors?: readonly string[];
  readonly pages?: number;
  readonly reason?: string;
}

const data = (event: { data?: unknown }) => (event.data ?? {}) as Submission;

/** Flaky on purpose: the first tries for some submissions fail like a busy index would. */
const overlapTries = new Map<string, number>();

export default defineAgent({
  name: 'submission-agent',
  source: 'local:submissions',
  store: '.agentctl/agent.db',
  rules: [
    rule({ name: 'classify-new-submission', on: 'submission.created', process: 'classification-check' }),
    rule({
      name: 'check-overlap-when-final',
      on: 'submission.finalized',
      when: (event) => (data(event).pages ?? 0) > 0,
      process: 'overlap-check',
      params: (event) => ({ pages: data(event).pages }),
    }),
    rule({
      name: 'notify-authors',
      on: ['submission.finalized', 'submission.withdrawn'],
      process: 'notify-authors',
    }),
  ],
  processes: [
    defineProcess({
      name: 'classification-check',
      steps: [
        {
          name: 'validate',
          run: ({ event }) => {
            const s = data(event);
            if (!s.title || s.title.trim().length === 0)
              throw new FatalError(`submission ${s.submissionId} has no title`);
            return { words: s.title.split(/\s+/).length };
          },
        },
        {
          name: 'classify',
          run: ({ event }) => {
            const text = `${data(event).title ?? ''} ${data(event).abstract ?? ''}`.toLowerCase();
            if (/stream|event|queue|log/.test(text)) return 'distributed-systems';
            if (/learn|neural|model/.test(text)) return 'machine-learning';
            return 'general';
          },
        },
      ],
    }),
    defineProcess({
      name: 'overlap-check',
      publish: true,
      retry: { maxRetries: 4, kind: 'exponential', baseMs: 20, maxMs: 200, jitter: 0.2 },
      steps: [
        {
          name: 'fingerprint',
          run: ({ event }) => `fp-${data(event).submissionId}-${data(event).pages}`,
        },
        {
          name: 'compare-with-index',
          run: async ({ event, results }) => {
            const id = data(event).submissionId;
            const tries = (overlapTries.get(id) ?? 0) + 1;
            overlapTries.set(id, tries);
            if (id.endsWith('7') && tries < 3) throw new Error('overlap index timed out (503)');
            await new Promise((resolve) => setTimeout(resolve, 1));
            return { fingerprint: results.fingerprint, overlap: ((id.length * 7) % 100) / 100 };
          },
        },
      ],
    }),
    defineProcess({
      name: 'notify-authors',
      retry: { maxRetries: 2, kind: 'exponential', baseMs: 10, maxMs: 50, jitter: 0 },
      steps: [
        {
          name: 'render-message',
          run: ({ event }) =>
            event.type === 'submission.withdrawn'
              ? `Your submission ${data(event).submissionId} was withdrawn (${data(event).reason ?? 'no reason given'}).`
              : `Your submission ${data(event).submissionId} is final.`,
        },
        {
          name: 'send-email',
          run: ({ event, results }) => {
            if (existsSync('mail-server.down'))
              throw new Error('mail server unreachable (connection refused)');
            return { to: data(event).authors ?? [], bytes: String(results['render-message']).length };
          },
        },
      ],
    }),
  ],
  runner: { kind: 'pool', concurrency: 8 },
  publisher: {
    sink: 'local:submission-results',
    contingency: { maxRetries: 5, kind: 'exponential', baseMs: 50, maxMs: 2_000, jitter: 0.2 },
  },
  consumer: {
    commitPolicy: { intervalMs: 1_000, messages: 1_000 },
    poisonLimit: { maxConsecutive: 100 },
  },
});
