import type { AgentConfig } from './agent-config.js';
import { validateAgentConfig } from './config-schema.js';

/**
 * Declares an agent in `agentctl.config.ts`: `export default defineAgent({ name, source, rules, … })`.
 * Validates at once, so a mistake is reported with its key when the file is loaded.
 */
export function defineAgent<const C extends AgentConfig>(config: C): C {
  validateAgentConfig(config, 'agent definition');
  return config;
}
