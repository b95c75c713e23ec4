/**
 * agentctl's engine as a library: write an agent in plain TypeScript and run it without the CLI.
 * Everything exported here is public API; modules not re-exported here are internal.
 */

export {
  Agent,
  type AgentOptions,
  type AgentSummary,
  type ConsumerSettings,
  type PublisherSettings,
  type RunnerChoice,
} from './agent/agent.js';
export { type AgentPipelineParts, agentPipeline } from './agent/agent-pipeline.js';
export { type Clock, FakeClock, systemClock } from './clock.js';
export type { AgentConfig, ConsumerConfig, PublisherConfig, RunnerConfig } from './config/agent-config.js';
export { defineAgent } from './config/define-agent.js';
export type { Assignor } from './consumer/assignor.js';
export { BrokerAssignor } from './consumer/broker-assignor.js';
export { type CommitPolicy, DEFAULT_COMMIT_POLICY } from './consumer/commit-policy.js';
export { LeaseAssignor, type LeaseAssignorOptions } from './consumer/lease-assignor.js';
export { DEFAULT_POISON_LIMIT, type PoisonLimit } from './consumer/poison-guard.js';
export {
  type ProcessorSummary,
  StreamProcessor,
  type StreamProcessorOptions,
} from './consumer/stream-processor.js';
export { Watermark } from './consumer/watermark.js';
export * from './errors/index.js';
export {
  asCloudEvent,
  type CloudEvent,
  decodeCloudEvent,
  type EventDecoder,
  encodeEvent,
} from './events/cloud-event.js';
export type { Culmination, Effort, PublishAttempt } from './model/effort.js';
export { runIdOf } from './model/run-id.js';
export type { RunRecord, RunState, StepAttempt, StepRecord } from './model/run-record.js';
export { Stats } from './model/stats.js';
export type { StatusSnapshot } from './model/status-snapshot.js';
export { type ReplayFailedOptions, replayFailed } from './ops/replay-failed.js';
export {
  defineProcess,
  type ProcessDefinition,
  ProcessRegistry,
  type PublishContext,
  type PublishSpec,
  type StepContext,
  type StepDefinition,
} from './processes/process.js';
export { executeRun } from './processes/process-executor.js';
export { type Contingency, contingency, DEFAULT_CONTINGENCY } from './publish/contingency.js';
export { openSink, registerSinkOpener } from './publish/open-sink.js';
export type { Publisher, PublishRecord, SendResult, Sink } from './publish/publisher.js';
export { RetryingPublisher } from './publish/retrying-publisher.js';
export { LocalLogSink } from './publish/sinks/local-log-sink.js';
export { MemorySink } from './publish/sinks/memory-sink.js';
export { NdjsonSink } from './publish/sinks/ndjson-sink.js';
export { PublisherStatusBoard } from './publish/status-board.js';
export { redactSecrets, redactUri } from './redact.js';
export { type Backoff, type BackoffKind, type BackoffOptions, backoff } from './retry/backoff.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, retryPolicy } from './retry/retry-policy.js';
export { type Rule, type RuleDefinition, rule } from './rules/rule.js';
export { type RuleMatch, RuleSet } from './rules/rule-set.js';
export { InlineRunner } from './runners/inline-runner.js';
export { PoolRunner } from './runners/pool-runner.js';
export type { RunJob, Runner, RunnerContext } from './runners/runner.js';
export { FileSource } from './sources/file-source.js';
export { LocalSource } from './sources/local-source.js';
export { MemorySource, type MemorySourceOptions } from './sources/memory-source.js';
export { openSource, registerSourceOpener } from './sources/open-source.js';
export type { Fetch, PartitionInfo, PartitionStatus, Source } from './sources/source.js';
export { parseSourceUri } from './sources/source-uri.js';
export { LatestMessages } from './state/latest-messages.js';
export { PROCESSING_STATES, ProcessingState, type ProcessingStateName } from './state/processing-state.js';
export { Journal } from './store/journal.js';
export { openStore, registerStoreOpener } from './store/open-store.js';
export type * from './store/records.js';
export {
  DEFAULT_STORE_PATH,
  openSqliteStore,
  type SqliteStateStore,
} from './store/sqlite/sqlite-state-store.js';
export type { StateStore } from './store/state-store.js';
export { CommitOffsets } from './strategies/commit-offsets.js';
export { DeadLetter, InvalidMessageExit, type InvalidMessageHandler } from './strategies/dead-letter.js';
export { Decode } from './strategies/decode.js';
export { type Dispatch, DispatchProcesses } from './strategies/dispatch-processes.js';
export { EvaluateRules, type Evaluation } from './strategies/evaluate-rules.js';
export { ForwardingStrategy } from './strategies/forwarding-strategy.js';
export { Healthcheck } from './strategies/healthcheck.js';
export { Batch } from './strategies/library/batch.js';
export { Filter } from './strategies/library/filter.js';
export { MapStrategy } from './strategies/library/map.js';
export { Reduce } from './strategies/library/reduce.js';
export { RunInWorkers } from './strategies/library/run-in-workers.js';
export { RunTask } from './strategies/library/run-task.js';
export { RunTaskConcurrently } from './strategies/library/run-task-concurrently.js';
export { Unbatch } from './strategies/library/unbatch.js';
export { ParkFailedRuns } from './strategies/park-failed-runs.js';
export {
  type Commit,
  InvalidMessage,
  MessageRejected,
  type ProcessingStrategy,
  type ProcessingStrategyFactory,
  type StrategyContext,
} from './strategies/processing-strategy.js';
export { Produce } from './strategies/produce.js';
export { type EngineEvents, Telemetry } from './telemetry/telemetry.js';
export * from './types.js';
export { VERSION } from './version.js';
