import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUri } from '../../src/core/redact.js';

describe('redaction', () => {
  it('hides the password of a URI but keeps the user', () => {
    expect(redactUri('amqp://alice:s3cret@host:5672/vh?queue=q')).toBe(
      'amqp://alice:***@host:5672/vh?queue=q',
    );
    expect(redactUri('postgres://bob:pw@db/x')).toBe('postgres://bob:***@db/x');
  });

  it('hides secret query parameters', () => {
    expect(redactUri('kinesis://s?region=eu&secretAccessKey=ABC&token=T')).toBe(
      'kinesis://s?region=eu&secretAccessKey=***&token=***',
    );
  });

  it('hides every URI password inside free text', () => {
    const text = 'connect amqp://u:p1@a failed, then amqps://v:p2@b/vh too';
    const out = redactSecrets(text);
    expect(out).not.toContain('p1');
    expect(out).not.toContain('p2');
    expect(out).toContain('amqp://u:***@a');
  });

  it('leaves URIs without credentials alone', () => {
    expect(redactUri('local:events')).toBe('local:events');
    expect(redactUri('amqp://host/vh?queue=q')).toBe('amqp://host/vh?queue=q');
  });
});
