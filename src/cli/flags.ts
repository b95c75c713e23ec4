import { DEFAULT_STORE_PATH } from '../core/store/sqlite/store-defaults.js';
import { Flags } from './vendor/oclif.js';

/**
 * Flags every command takes. Each flag of every command has the environment variable AGENTCTL_<FLAG>
 * (the long name in upper case, dashes as underscores: --until-empty → AGENTCTL_UNTIL_EMPTY); flags win
 * over the environment. test/cli/flag-env.test.ts holds every command to it.
 */
export const commonFlags = {
  config: Flags.string({
    char: 'c',
    summary: 'Agent config file (default: agentctl.config.{ts,mts,js,mjs,json} in the working directory).',
    env: 'AGENTCTL_CONFIG',
    helpGroup: 'COMMON',
  }),
  db: Flags.string({
    summary: `State store: a SQLite file (default ${DEFAULT_STORE_PATH}) or a postgres:// URI.`,
    env: 'AGENTCTL_DB',
    helpGroup: 'COMMON',
  }),
  context: Flags.string({
    summary: 'Context to use (see agentctl context list; default: the current one).',
    env: 'AGENTCTL_CONTEXT',
    helpGroup: 'COMMON',
  }),
  verbose: Flags.boolean({
    summary: 'Print stack traces of unexpected errors.',
    env: 'AGENTCTL_VERBOSE',
    helpGroup: 'COMMON',
  }),
};

export const sourceFlag = Flags.string({
  char: 's',
  summary:
    'Source URI: local:[TOPIC], file:PATH, kinesis://STREAM?region=R, amqp://user:pass@host/vhost?queue=Q.',
  env: 'AGENTCTL_SOURCE',
});

export const yesFlag = Flags.boolean({
  char: 'y',
  summary: 'Do it without asking for confirmation.',
  env: 'AGENTCTL_YES',
});

export const agentFlag = Flags.string({
  summary: 'Agent name (consumer group) whose state to use (default: the config name).',
  env: 'AGENTCTL_AGENT',
});

/** `--json` of the commands that set `enableJsonFlag` (added by the base command). */
export const jsonFlag = Flags.boolean({
  summary: 'Print the result as JSON (one compact value, or NDJSON for streams).',
  env: 'AGENTCTL_JSON',
  helpGroup: 'GLOBAL',
});

/** The environment variable of a flag: AGENTCTL_ and its long name in upper case, dashes as underscores. */
export function flagEnv(name: string): string {
  return `AGENTCTL_${name.toUpperCase().replace(/-/g, '_')}`;
}
