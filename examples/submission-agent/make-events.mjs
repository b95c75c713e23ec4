// Writes events.ndjson: 300 events of the submission domain, with a few bad ones on purpose
// (one line that is not JSON, one submission without a title). Run: node make-events.mjs
import { writeFileSync } from 'node:fs';

const lines = [];
const at = (i) => new Date(Date.UTC(2026, 10, 24, 9, 0, 0) + i * 1_000).toISOString();
const titles = [
  'Exactly-once delivery in event streams',
  'Neural ranking for reviewer matching',
  'A study of queue backpressure',
  'On log compaction',
  'Learning to schedule',
];
let n = 0;
for (let s = 1; s <= 120; s++) {
  const submissionId = `sub-${String(s).padStart(3, '0')}`;
  const authors = [`author-${s % 13}@example.org`, `author-${(s * 7) % 23}@example.org`];
  const title = s === 42 ? '' : titles[s % titles.length];
  const event = (type, data) => ({
    specversion: '1.0',
    id: `evt-${String(++n).padStart(4, '0')}`,
    source: '/submissions',
    type,
    time: at(n),
    subject: submissionId,
    datacontenttype: 'application/json',
    data,
  });
  lines.push(
    JSON.stringify(
      event('submission.created', { submissionId, title, abstract: 'We study streams.', authors }),
    ),
  );
  if (s % 5 === 0)
    lines.push(JSON.stringify(event('submission.withdrawn', { submissionId, reason: 'duplicate', authors })));
  else if (s % 3 !== 0)
    lines.push(JSON.stringify(event('submission.finalized', { submissionId, pages: 8 + (s % 20), authors })));
  if (s === 60) lines.push('{"this line is": not json');
}
while (lines.length < 300) {
  const i = ++n;
  lines.push(
    JSON.stringify({
      specversion: '1.0',
      id: `evt-${String(i).padStart(4, '0')}`,
      source: '/submissions',
      type: 'submission.viewed',
      time: at(i),
      subject: `sub-${String(1 + (i % 120)).padStart(3, '0')}`,
      data: { views: i % 50 },
    }),
  );
}
writeFileSync(new URL('./events.ndjson', import.meta.url), `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length} events to events.ndjson`);
