import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CloudEvent line of an `order.paid` event. */
export function orderEvent(i: number, type = 'order.paid'): string {
  return JSON.stringify({
    specversion: '1.0',
    id: `evt-${i}`,
    source: '/orders',
    type,
    time: '2026-11-25T10:00:00.000Z',
    subject: `order-${i}`,
    datacontenttype: 'application/json',
    data: { orderId: `order-${i}`, amount: i },
  });
}

export function orderEvents(count: number, first = 1): string {
  return `${Array.from({ length: count }, (_, i) => orderEvent(first + i)).join('\n')}\n`;
}

/**
 * An agent `orders` on `local:orders`: `bill` runs on `order.paid` and publishes its output; its step
 * fails (retriable, no retries) while a file `billing.down` exists in the project.
 */
export function writeOrdersAgent(dir: string, extra = ''): void {
  writeFileSync(
    join(dir, 'agentctl.config.ts'),
    `import { existsSync } from 'node:fs';
import { defineAgent, defineProcess, rule } from 'agentctl';

export default defineAgent({
  name: 'orders',
  source: 'local:orders',
  rules: [rule({ name: 'bill', on: 'order.paid', process: 'billing' })],
  processes: [
    defineProcess({
      name: 'billing',
      publish: true,
      retry: { maxRetries: 0 },
      steps: [
        {
          name: 'charge',
          run: ({ event }) => {
            if (existsSync(new URL('./billing.down', import.meta.url))) throw new Error('billing is down');
            return { charged: event.id };
          },
        },
      ],
    }),
  ],
  consumer: { heartbeatMs: 200, poisonLimit: { maxConsecutive: 1000 } },
  ${extra}
});
`,
  );
}
