import { describe, expect, it } from 'vitest';
import { redactDeep, redactSecrets, redactUri } from '../../src/core/redact.js';

describe('redaction', () => {
  it('hides the whole userinfo of a URI: user and password', () => {
    expect(redactUri('amqp://alice:s3cret@host:5672/vh?queue=q')).toBe('amqp://***@host:5672/vh?queue=q');
    expect(redactUri('postgres://bob:pw@db/x')).toBe('postgres://***@db/x');
  });

  it('hides a credential given as the user alone', () => {
    expect(redactUri('amqp://S3cr3tToken@host/vh?queue=q')).toBe('amqp://***@host/vh?queue=q');
    expect(redactUri('amqps://S3cr3tToken:@host')).toBe('amqps://***@host');
  });

  it('hides a password that holds "@" up to the last "@" of the authority, as URL parsing reads it', () => {
    expect(redactUri('amqp://u:p@ss@host/vh')).toBe('amqp://***@host/vh');
  });

  it('hides secret query parameters', () => {
    expect(redactUri('kinesis://s?region=eu&secretAccessKey=ABC&token=T')).toBe(
      'kinesis://s?region=eu&secretAccessKey=***&token=***',
    );
    expect(redactUri('amqp://h/?queue=q&routingKey=rk&password=pp')).toBe(
      'amqp://h/?queue=q&routingKey=rk&password=***',
    );
  });

  it('hides credentials of a URI nested in a query parameter, plain or percent-encoded', () => {
    expect(redactUri('kinesis://s?endpoint=http://KEY:SECRET@127.0.0.1:4567&region=eu')).toBe(
      'kinesis://s?endpoint=http://***@127.0.0.1:4567&region=eu',
    );
    expect(redactUri('kinesis://s?endpoint=http://KEY@127.0.0.1:4567')).toBe(
      'kinesis://s?endpoint=http://***@127.0.0.1:4567',
    );
    const encoded = `kinesis://s?endpoint=${encodeURIComponent('http://KEY:SECRET@127.0.0.1:4567')}&region=eu`;
    expect(redactUri(encoded)).toBe('kinesis://s?endpoint=http%3A%2F%2F***%40127.0.0.1%3A4567&region=eu');
    const twice = `kinesis://s?endpoint=${encodeURIComponent(encodeURIComponent('http://KEY@h'))}`;
    expect(redactUri(twice)).not.toContain('KEY');
    const param = `kinesis://s?endpoint=${encodeURIComponent('http://h/?token=T0K&x=1')}`;
    expect(redactUri(param)).not.toContain('T0K');
  });

  it('hides every URI credential inside free text', () => {
    const text = 'connect amqp://u:p1@a failed, then amqps://v2@b/vh too';
    const out = redactSecrets(text);
    expect(out).not.toContain('p1');
    expect(out).not.toContain('v2');
    expect(out).toBe('connect amqp://***@a failed, then amqps://***@b/vh too');
  });

  it('stays inside the JSON string or quotes that hold the URI', () => {
    expect(redactSecrets('{"a":"amqp://u@h","b":"x@y"}')).toBe('{"a":"amqp://***@h","b":"x@y"}');
    expect(redactSecrets(`source "amqp://h/v" failed for me@example.com`)).toBe(
      `source "amqp://h/v" failed for me@example.com`,
    );
  });

  it('leaves URIs without credentials alone', () => {
    expect(redactUri('local:events')).toBe('local:events');
    expect(redactUri('amqp://host/vh?queue=q')).toBe('amqp://host/vh?queue=q');
    expect(redactUri('file:///tmp/a@b.ndjson')).toBe('file:///tmp/a@b.ndjson');
    expect(redactUri('http://[::1]:4567/x')).toBe('http://[::1]:4567/x');
  });

  it('redacts every string of a JSON-like value, leaving other values as they are', () => {
    const value = { source: { uri: 'amqp://T@h' }, list: ['kinesis://s?token=x', 3, null], ok: true };
    expect(redactDeep(value)).toEqual({
      source: { uri: 'amqp://***@h' },
      list: ['kinesis://s?token=***', 3, null],
      ok: true,
    });
  });
});
