import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../support/temp.js';

const setFlagsFromString = vi.fn();
vi.mock('node:v8', () => ({ setFlagsFromString }));

describe('boundHeapGrowth', () => {
  const nodeOptions = process.env.NODE_OPTIONS;

  beforeEach(() => {
    vi.resetModules();
    setFlagsFromString.mockClear();
    delete process.env.NODE_OPTIONS;
  });

  afterEach(() => {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
  });

  it('sets V8 old-generation growth to 75 % once per process', async () => {
    const { boundHeapGrowth } = await import('../../../src/core/agent/heap-growth.js');
    boundHeapGrowth();
    boundHeapGrowth();
    expect(setFlagsFromString).toHaveBeenCalledTimes(1);
    expect(setFlagsFromString).toHaveBeenCalledWith('--heap-growing-percent=75');
  });

  it('leaves a growth the process was started with alone', async () => {
    process.env.NODE_OPTIONS = '--heap-growing-percent=200';
    const { boundHeapGrowth } = await import('../../../src/core/agent/heap-growth.js');
    boundHeapGrowth();
    expect(setFlagsFromString).not.toHaveBeenCalled();
  });

  it('is applied when an agent runs', async () => {
    const { testAgent, openStore, publish, submissionEvents, countingProcess } = await import(
      './fixtures.js'
    );
    const { rule } = await import('../../../src/core/rules/rule.js');
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(3));
    await testAgent(store, {
      rules: [rule({ name: 'classify-new', on: 'submission.created', process: 'classify' })],
      processes: [countingProcess('classify', new Map())],
    }).run();
    await store.close();
    expect(setFlagsFromString).toHaveBeenCalledWith('--heap-growing-percent=75');
  });
});
