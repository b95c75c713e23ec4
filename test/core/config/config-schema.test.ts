import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateAgentConfig } from '../../../src/core/config/config-schema.js';
import { defineProcess } from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';

const config = {
  name: 'orders',
  consumer: { heartbeatMs: 100 },
  rules: [rule({ name: 'paid', on: 'order.paid', process: 'bill' })],
  processes: [
    defineProcess({
      name: 'bill',
      steps: [{ name: 'charge', run: async () => 1, retry: { maxRetries: 2 } }],
    }),
  ],
};

describe('validateAgentConfig', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('Given a valid config, When it is validated, Then no parser is compiled for it (a config is parsed once or twice per process)', () => {
    const compiled = vi.spyOn(globalThis, 'Function');
    expect(validateAgentConfig(config).name).toBe('orders');
    expect(validateAgentConfig(config).name).toBe('orders');
    expect(compiled).not.toHaveBeenCalled();
  });

  it('Given a wrong value deep in the config, When it is validated, Then the error names its key', () => {
    expect(() => validateAgentConfig({ ...config, consumer: { pollMax: -1 } })).toThrow(/consumer\.pollMax/);
    expect(() => validateAgentConfig({ ...config, consumer: { pollMaxx: 1 } })).toThrow(
      /unknown key "pollMaxx"/,
    );
  });
});
