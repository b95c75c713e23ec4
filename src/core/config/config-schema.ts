import { ConfigError } from '../errors/config-error.js';
import { z } from '../vendor/zod.js';
import type { AgentConfig } from './agent-config.js';

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
  message: 'expected a function',
});
const positiveInt = z.number().int().positive();
const ms = z.number().int().nonnegative();

const retry = z
  .object({
    maxRetries: z.number().int().nonnegative(),
    kind: z.enum(['constant', 'linear', 'exponential']),
    baseMs: ms,
    maxMs: ms,
    jitter: z.number().min(0).max(1),
  })
  .partial()
  .strict();

const step = z
  .object({
    name: z.string().min(1),
    run: fn,
    retry: retry.optional(),
    timeoutMs: positiveInt.optional(),
  })
  .strict();

const processDefinition = z
  .object({
    name: z.string().min(1),
    steps: z.array(step).min(1),
    retry: retry.optional(),
    publish: z.union([z.boolean(), fn]).optional(),
  })
  .strict();

const ruleDefinition = z
  .object({
    name: z.string().min(1),
    on: z.array(z.string().min(1)).min(1),
    when: fn.optional(),
    process: z.string().min(1),
    params: fn.optional(),
  })
  .strict();

const schema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only'),
    source: z.string().min(1).optional(),
    store: z.string().min(1).optional(),
    decode: fn.optional(),
    rules: z.array(ruleDefinition).optional(),
    processes: z.array(processDefinition).optional(),
    runner: z
      .object({
        kind: z.enum(['inline', 'pool', 'queue']).optional(),
        concurrency: positiveInt.optional(),
        endpoint: z.string().min(1).optional(),
        url: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    publisher: z
      .object({
        sink: z.string().min(1).optional(),
        contingency: retry.extend({ reaction: fn.optional() }).optional(),
        disableAfter: positiveInt.optional(),
        coolDownMs: ms.optional(),
        attemptTimeoutMs: positiveInt.optional(),
      })
      .strict()
      .optional(),
    consumer: z
      .object({
        commitPolicy: z.object({ intervalMs: ms, messages: positiveInt }).partial().strict().optional(),
        poisonLimit: z
          .object({ maxConsecutive: positiveInt, maxRatio: z.number().gt(0).max(1), window: positiveInt })
          .partial()
          .strict()
          .optional(),
        pollMax: positiveInt.optional(),
        pauseAfterMs: ms.optional(),
        from: z.enum(['checkpoint', 'earliest', 'latest']).optional(),
        leaseTtlMs: positiveInt.optional(),
        drainTimeoutMs: ms.optional(),
        heartbeatMs: positiveInt.optional(),
        localPartitions: positiveInt.optional(),
        stallAfterMs: positiveInt.optional(),
        stuckStepMs: positiveInt.optional(),
      })
      .strict()
      .optional(),
    healthcheckFile: z.string().min(1).optional(),
    adapters: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .strict();

function article(type: string): string {
  return type === 'undefined' || type === 'null' ? type : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** One line per problem: `key.path: what is wrong`. */
function describeIssues(error: z.ZodError): { key: string; lines: string[] } {
  const lines = error.issues.map((issue) => {
    const key = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return `${key === '(root)' ? '' : `${key}: `}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    // zod says "Invalid input: expected number, received string": say "expected a number, not a string".
    const typed = /^Invalid input: expected (\w+), received (\w+)$/.exec(issue.message);
    if (typed !== null) return `${key}: expected ${article(typed[1]!)}, not ${article(typed[2]!)}`;
    return `${key}: ${issue.message}`;
  });
  const first = error.issues[0];
  return { key: first === undefined ? '' : first.path.map(String).join('.'), lines };
}

/**
 * Validates an agent configuration (after `rule()`/`defineProcess()` normalisation). Also checks that
 * every rule names an existing process. @throws ConfigError naming the wrong key and why.
 *
 * `jitless`: on the first parse of each object schema zod writes a parser for its shape and compiles it
 * (`new Function`), which pays off over many parses. A config is parsed once or twice per process (by
 * `defineAgent` while the file loads, then by `loadConfig`), so compiling every nested object's parser cost
 * more than it saved: ~7 % of the CPU of `agentctl failed list`. Same checks, same issues.
 */
export function validateAgentConfig(input: unknown, origin = 'config'): AgentConfig {
  const parsed = schema.safeParse(input, { jitless: true });
  if (!parsed.success) {
    const { key, lines } = describeIssues(parsed.error);
    throw new ConfigError(`invalid ${origin}: ${lines.join('; ')}`, key, {
      hint: 'see "Configuration reference" in the README for every key and its type',
    });
  }
  const config = input as AgentConfig;
  const processes = new Set((config.processes ?? []).map((p) => p.name));
  for (const [i, r] of (config.rules ?? []).entries()) {
    if (!processes.has(r.process)) {
      throw new ConfigError(
        `invalid ${origin}: rules.${i}.process: rule "${r.name}" starts process "${r.process}", which is not defined`,
        `rules.${i}.process`,
        {
          hint: `define it under processes, or fix the name (known: ${[...processes].join(', ') || 'none'})`,
        },
      );
    }
  }
  return config;
}
