/**
 * `agentctl/config`: what an `agentctl.config.ts` needs to declare an agent — `defineAgent`, `rule`,
 * `defineProcess`, the error classes a step throws, retry and contingency helpers, event codecs and the
 * adapter registries — without the engine behind them. Every CLI command that reads the config imports
 * this file; the whole library (`agentctl`, src/core/index.ts) costs ~50 ms more CPU to load (sources,
 * strategies, consumer, runners, publisher).
 *
 * Contract: every name exported here is also exported by `agentctl`, from the same module, so a class
 * is one class whichever entry a config imports (`instanceof FatalError` holds either way). Only modules
 * that load nothing heavy belong here: no store, no transport, no strategy.
 */

export { type CommitPolicy, DEFAULT_COMMIT_POLICY } from '../consumer/commit-policy.js';
export type { PoisonLimit } from '../consumer/poison-guard.js';
export * from '../errors/index.js';
export {
  asCloudEvent,
  type CloudEvent,
  decodeCloudEvent,
  type EventDecoder,
  encodeEvent,
} from '../events/cloud-event.js';
export {
  defineProcess,
  type ProcessDefinition,
  type PublishContext,
  type PublishSpec,
  type StepContext,
  type StepDefinition,
} from '../processes/process.js';
export { type Contingency, contingency, DEFAULT_CONTINGENCY } from '../publish/contingency.js';
export { registerSinkOpener } from '../publish/open-sink.js';
export type { PublishRecord, SendResult, Sink } from '../publish/publisher.js';
export { type Backoff, type BackoffKind, type BackoffOptions, backoff } from '../retry/backoff.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, retryPolicy } from '../retry/retry-policy.js';
export { type Rule, type RuleDefinition, rule } from '../rules/rule.js';
export { registerSourceOpener } from '../sources/open-source.js';
export type { Fetch, PartitionInfo, PartitionStatus, Source } from '../sources/source.js';
export { registerStoreOpener } from '../store/open-store.js';
export type { StateStore } from '../store/state-store.js';
export * from '../types.js';
export type { AgentConfig, ConsumerConfig, PublisherConfig, RunnerConfig } from './agent-config.js';
export { defineAgent } from './define-agent.js';
