import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors/usage-error.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import { openSource, registerSourceOpener } from '../../../src/core/sources/open-source.js';
import type { OpenSourceOptions } from '../../../src/core/sources/source-opener.js';

const options = { group: 'g' } as unknown as OpenSourceOptions;

describe('openSource with openers of one’s own', () => {
  it('Given an opener registered for a scheme of its own, When a URI of that scheme is opened, Then the opener gets the URI as given', async () => {
    const seen: string[] = [];
    registerSourceOpener('mem', async (uri) => {
      seen.push(uri);
      return new MemorySource({ partitions: 1 });
    });
    const source = await openSource('MEM:orders?x=1', options);
    expect(source).toBeInstanceOf(MemorySource);
    expect(seen).toEqual(['MEM:orders?x=1']);
  });

  it('Given no opener for a scheme, When it is opened, Then it is refused as an unknown scheme (exit 2), naming the forms it takes', async () => {
    const error = await openSource('nope:x', options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('unknown scheme "nope:"');
  });

  it('Given a name inherited by every object, When it is used as a scheme, Then it is refused, not called', async () => {
    const error = await openSource('constructor:x', options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
  });
});
