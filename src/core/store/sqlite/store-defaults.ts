/** Where the embedded store lives when nothing else is said (relative to the config file or cwd). */
export const DEFAULT_STORE_PATH = '.agentctl/agent.db';
