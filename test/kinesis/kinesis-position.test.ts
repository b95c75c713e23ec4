import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUsageError } from '../../src/core/errors/usage-error.js';
import {
  compareKinesisPositions,
  formatKinesisPosition,
  parseKinesisPosition,
} from '../../src/core/sources/kinesis/kinesis-position.js';
import { credentialsConfigured } from '../../src/core/transports/kinesis/kinesis-client.js';
import { kinesisSettings } from '../../src/core/transports/kinesis/kinesis-settings.js';
import { END_OF_PARTITION } from '../../src/core/types.js';

const sequence = fc.bigInt({ min: 0n, max: 10n ** 56n }).map(String);
const position = fc.tuple(sequence, fc.option(fc.nat({ max: 100_000 }), { nil: undefined }));

describe('Kinesis positions', () => {
  it('Given any two positions, When compared, Then they order by sequence number as an integer, then by subsequence, a plain record first', () => {
    fc.assert(
      fc.property(position, position, ([sa, ua], [sb, ub]) => {
        const expected =
          BigInt(sa) !== BigInt(sb) ? (BigInt(sa) < BigInt(sb) ? -1 : 1) : Math.sign((ua ?? -1) - (ub ?? -1));
        const a = formatKinesisPosition(sa, ua);
        const b = formatKinesisPosition(sb, ub);
        expect(Math.sign(compareKinesisPositions(a, b))).toBe(expected);
        expect(Math.sign(compareKinesisPositions(b, a))).toBe(-expected);
        expect(parseKinesisPosition(a)).toEqual(
          ua === undefined ? { sequence: sa } : { sequence: sa, sub: ua },
        );
      }),
    );
  });

  it('Given END, When compared with any position, Then it comes last', () => {
    expect(
      compareKinesisPositions(END_OF_PARTITION, '49590338271490256608559692538361571095921575989136588898'),
    ).toBe(1);
    expect(compareKinesisPositions('1:0', END_OF_PARTITION)).toBe(-1);
    // Digit strings of different lengths compare as numbers, not as text.
    expect(compareKinesisPositions('9', '10')).toBeLessThan(0);
  });

  it('Given something that is not a position, When parsed, Then a UsageError says what a position looks like', () => {
    for (const bad of ['', 'abc', '12:', ':3', '1:2:3', '12x']) {
      let error: unknown;
      try {
        parseKinesisPosition(bad);
      } catch (e) {
        error = e;
      }
      expect(isUsageError(error)).toBe(true);
    }
  });
});

describe('Kinesis settings', () => {
  it('Given URI parameters and config settings, When merged, Then the URI wins and numbers are parsed', () => {
    const params = new URLSearchParams('region=eu-west-1&endpoint=http://localhost:4567&pollIntervalMs=500');
    expect(kinesisSettings(params, { region: 'us-east-1', maxRecordsPerCall: 1000 })).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://localhost:4567',
      pollIntervalMs: 500,
      maxRecordsPerCall: 1000,
    });
  });

  it('Given a stream consumer in the config and another in the URI, When merged, Then the URI wins, and a name Kinesis would refuse is a ConfigError', () => {
    expect(kinesisSettings(new URLSearchParams(), { consumer: 'from-config' }).consumer).toBe('from-config');
    expect(kinesisSettings(new URLSearchParams('consumer=from-uri'), { consumer: 'x' }).consumer).toBe(
      'from-uri',
    );
    expect(() => kinesisSettings(new URLSearchParams('consumer=has space'))).toThrow(
      /the URI parameter \?consumer=: "has space" is not a stream consumer name/,
    );
    expect(() => kinesisSettings(new URLSearchParams(), { consumer: 'has space' })).toThrow(
      /adapters.kinesis.consumer: "has space" is not a stream consumer name/,
    );
  });

  it('Given a wrong key or value, When merged, Then a ConfigError names the key', () => {
    expect(() => kinesisSettings(new URLSearchParams(), { regoin: 'x' })).toThrow(/unknown key "regoin"/);
    expect(() => kinesisSettings(new URLSearchParams('prefetchRecords=-3'))).toThrow(
      /the URI parameter \?prefetchRecords=: expected a positive integer, not -3/,
    );
    expect(() => kinesisSettings(new URLSearchParams(), { prefetchRecords: 0 })).toThrow(
      /adapters.kinesis.prefetchRecords: expected a positive integer, not 0/,
    );
    expect(() => kinesisSettings(new URLSearchParams('endpoint=localhost 4567'))).toThrow(/not a URL/);
  });

  it('Given the environment, When asked whether credentials are configured, Then keys, profiles and shared files count', () => {
    const none = {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
    };
    expect(credentialsConfigured(none)).toBe(false);
    expect(credentialsConfigured({ ...none, AWS_ACCESS_KEY_ID: 'AKIA' })).toBe(true);
    expect(credentialsConfigured({ ...none, AWS_PROFILE: 'prod' })).toBe(true);
    expect(credentialsConfigured({ ...none, AWS_CONFIG_FILE: import.meta.filename })).toBe(true);
  });
});
