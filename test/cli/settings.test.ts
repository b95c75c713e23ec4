// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are what contexts hold, not templates
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ActiveContext, flagOrigin, resolveSettings, withContext } from '../../src/cli/settings.js';
import type { LoadedConfig } from '../../src/core/config/load-config.js';

const fileConfig: LoadedConfig = {
  config: {
    name: 'orders',
    source: 'local:file-topic',
    store: 'file.db',
    publisher: { sink: 'local:file-sink' },
  },
  path: '/agent/agentctl.config.ts',
  dir: '/agent',
};
const active: ActiveContext = {
  name: 'staging',
  chosenBy: 'current',
  context: { source: 'amqp://app:${PW}@mq/v?queue=q', db: '/ctx/agent.db' },
};
const defaults = { source: 'local:', db: '.agentctl/agent.db', sink: 'local:results' };

describe('where a setting comes from: flag > env > context > config file > default', () => {
  it('tells a flag on the command line from its environment variable', () => {
    expect(flagOrigin(['--source', 'x'], 'source', 's')).toBe('flag');
    expect(flagOrigin(['--source=x'], 'source', 's')).toBe('flag');
    expect(flagOrigin(['-s', 'x'], 'source', 's')).toBe('flag');
    expect(flagOrigin(['-sx'], 'source', 's')).toBe('flag');
    expect(flagOrigin(['--sink', 'x'], 'source', 's')).toBe('env');
    expect(flagOrigin(['--', '--source'], 'source', 's')).toBe('env');
  });

  it('resolves each setting with its origin', () => {
    const resolved = resolveSettings({
      flags: { sink: 'local:env-sink' },
      argv: [],
      active,
      fileConfig,
      defaults,
    });
    expect(resolved).toEqual({
      context: { value: 'staging', origin: 'context' },
      config: { value: '/agent/agentctl.config.ts', origin: 'default' },
      source: { value: 'amqp://app:${PW}@mq/v?queue=q', origin: 'context' },
      db: { value: '/ctx/agent.db', origin: 'context' },
      sink: { value: 'local:env-sink', origin: 'env' },
    });
    const flagged = resolveSettings({
      flags: { source: 'local:flag', config: 'c.ts' },
      argv: ['--source', 'local:flag'],
      active: undefined,
      fileConfig,
      defaults,
    });
    expect(flagged.source).toEqual({ value: 'local:flag', origin: 'flag' });
    expect(flagged.config.origin).toBe('env');
    expect(flagged.db).toEqual({ value: 'file.db', origin: 'config file' });
    const bare = resolveSettings({
      flags: {},
      argv: [],
      active: undefined,
      fileConfig: { config: { name: 'agent' }, path: undefined, dir: '/w' },
      defaults,
    });
    expect(bare.db).toEqual({ value: '.agentctl/agent.db', origin: 'default' });
    expect(bare.context).toEqual({ value: undefined, origin: 'default' });
  });

  it('puts the context over the config file, placeholders filled', () => {
    const merged = withContext(fileConfig, active, { PW: 'p w' });
    expect(merged.config.source).toBe('amqp://app:p%20w@mq/v?queue=q');
    expect(merged.config.store).toBe('/ctx/agent.db');
    expect(merged.config.publisher?.sink).toBe('local:file-sink');
    expect(withContext(fileConfig, undefined)).toBe(fileConfig);
    expect(() => withContext(fileConfig, active, {})).toThrow(/needs the environment variable PW/);
    expect(join('/ctx', 'agent.db')).toBe(merged.config.store);
  });
});
