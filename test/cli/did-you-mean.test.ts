import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../src/cli/did-you-mean.js';

describe('didYouMean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('cosnume', 'consume')).toBe(1);
    expect(editDistance('consme', 'consume')).toBe(1);
  });

  it('suggests the closest candidate within reach, and nothing for a word far from all', () => {
    const commands = ['consume', 'checkpoint list', 'checkpoint set', 'status', 'store prune'];
    expect(didYouMean('consme', commands)).toBe('consume');
    expect(didYouMean('checkpoint lst', commands)).toBe('checkpoint list');
    expect(didYouMean('stauts', commands)).toBe('status');
    expect(didYouMean('--untill-empty', ['--until-empty', '--until'])).toBe('--until-empty');
    expect(didYouMean('frobnicate', commands)).toBeUndefined();
  });
});
