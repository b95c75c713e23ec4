/**
 * The names of the Prometheus metrics an agent exports (`AgentMetrics`): the one place they are spelt,
 * so that the alert rules `agentctl alerts` prints name what the agent really exports.
 */
export const METRIC = {
  eventsRead: 'agentctl_events_read_total',
  eventsProcessed: 'agentctl_events_processed_total',
  eventsUnmatched: 'agentctl_events_unmatched_total',
  eventsFiltered: 'agentctl_events_filtered_total',
  eventsParked: 'agentctl_events_parked_total',
  runsSkipped: 'agentctl_runs_skipped_total',
  runs: 'agentctl_runs_total',
  runDuration: 'agentctl_run_duration_seconds',
  commits: 'agentctl_commits_total',
  commitLag: 'agentctl_commit_lag_seconds',
  stepRetries: 'agentctl_step_retries_total',
  publishAttempts: 'agentctl_publish_attempts_total',
  publishGiveUps: 'agentctl_publish_give_ups_total',
  processingState: 'agentctl_processing_state',
  partitionLagRecords: 'agentctl_partition_lag_records',
  partitionLagMs: 'agentctl_partition_lag_milliseconds',
  queueDepth: 'agentctl_queue_depth',
  inFlight: 'agentctl_in_flight_messages',
  partitionStalled: 'agentctl_partition_stalled',
  checkpointAge: 'agentctl_checkpoint_age_seconds',
  poisonGuardTripped: 'agentctl_poison_guard_tripped',
  sinkEnabled: 'agentctl_sink_enabled',
} as const;
