/**
 * agentctl's engine as a library: write an agent in plain TypeScript and run it without the CLI.
 * Everything exported here is public API; modules not re-exported here are internal. What a config
 * needs comes from `agentctl/config` (./config/index.ts), re-exported whole, so that each of its names is
 * one value whichever entry imports it.
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
export * from './config/index.js';
export type { Assignor } from './consumer/assignor.js';
export { BrokerAssignor } from './consumer/broker-assignor.js';
export { LeaseAssignor, type LeaseAssignorOptions } from './consumer/lease-assignor.js';
export { DEFAULT_POISON_LIMIT } from './consumer/poison-guard.js';
export {
  type ProcessorSummary,
  StreamProcessor,
  type StreamProcessorOptions,
} from './consumer/stream-processor.js';
export { Watermark } from './consumer/watermark.js';
export type { Culmination, Effort, PublishAttempt } from './model/effort.js';
export { runIdOf } from './model/run-id.js';
export type { RunRecord, RunState, StepAttempt, StepRecord } from './model/run-record.js';
export { Stats } from './model/stats.js';
export type { StatusSnapshot } from './model/status-snapshot.js';
export { type ReplayFailedOptions, replayFailed } from './ops/replay-failed.js';
export { ProcessRegistry } from './processes/process.js';
export { executeRun } from './processes/process-executor.js';
export { openSink } from './publish/open-sink.js';
export type { Publisher } from './publish/publisher.js';
export { RetryingPublisher } from './publish/retrying-publisher.js';
export { LocalLogSink } from './publish/sinks/local-log-sink.js';
export { MemorySink } from './publish/sinks/memory-sink.js';
export { NdjsonSink } from './publish/sinks/ndjson-sink.js';
export { PublisherStatusBoard } from './publish/status-board.js';
export { redactSecrets, redactUri } from './redact.js';
export { type RuleMatch, RuleSet } from './rules/rule-set.js';
export { InlineRunner } from './runners/inline-runner.js';
export { PoolRunner } from './runners/pool-runner.js';
export type { RunJob, Runner, RunnerContext } from './runners/runner.js';
export { FileSource } from './sources/file-source.js';
export { LocalSource } from './sources/local-source.js';
export { MemorySource, type MemorySourceOptions } from './sources/memory-source.js';
export { openSource } from './sources/open-source.js';
export { parseSourceUri } from './sources/source-uri.js';
export { LatestMessages } from './state/latest-messages.js';
export { PROCESSING_STATES, ProcessingState, type ProcessingStateName } from './state/processing-state.js';
export { Journal } from './store/journal.js';
export { openStore } from './store/open-store.js';
export type * from './store/records.js';
export {
  DEFAULT_STORE_PATH,
  openSqliteStore,
  type SqliteStateStore,
} from './store/sqlite/sqlite-state-store.js';
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
export { VERSION } from './version.js';
