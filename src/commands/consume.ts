import { BaseCommand } from '../cli/base-command.js';
import { sourceFlag } from '../cli/flags.js';
import { Flags } from '../cli/vendor/oclif.js';
import type { AgentSummary } from '../core/agent/agent.js';

export default class Consume extends BaseCommand {
  static override summary = 'Run the agent: read events, evaluate rules, run processes, publish, commit.';
  static override description =
    'Runs until SIGINT/SIGTERM, which drain gracefully (finish in flight, commit, exit); a second SIGINT terminates at once. With --until-empty it stops once the source is caught up and everything read is done.';
  static override examples = [
    '<%= config.bin %> consume --until-empty',
    '<%= config.bin %> consume --source file:events.ndjson --from earliest --json',
    '<%= config.bin %> consume --runner pool --concurrency 16',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    source: sourceFlag,
    from: Flags.string({
      summary: 'Where partitions without a checkpoint start: checkpoint|earliest|latest|POSITION|TIMESTAMP.',
      env: 'AGENTCTL_FROM',
    }),
    runner: Flags.string({
      summary: 'Where processes run.',
      options: ['inline', 'pool', 'queue'],
      env: 'AGENTCTL_RUNNER',
    }),
    concurrency: Flags.integer({
      summary: 'Runs at once for --runner pool.',
      min: 1,
      env: 'AGENTCTL_CONCURRENCY',
    }),
    'until-empty': Flags.boolean({ summary: 'Stop once caught up and done.', env: 'AGENTCTL_UNTIL_EMPTY' }),
    'max-events': Flags.integer({
      summary: 'Stop after reading this many events.',
      min: 1,
      env: 'AGENTCTL_MAX_EVENTS',
    }),
    'metrics-port': Flags.integer({
      summary: 'Serve Prometheus /metrics, /healthz and /readyz on this port (0: any free port).',
      min: 0,
      env: 'AGENTCTL_METRICS_PORT',
    }),
    'metrics-host': Flags.string({
      summary: 'Address the metrics server listens on.',
      default: '0.0.0.0',
      env: 'AGENTCTL_METRICS_HOST',
    }),
    sink: Flags.string({
      summary:
        'Where results are published (overrides publisher.sink): local:TOPIC, stdout, file:PATH, none.',
      env: 'AGENTCTL_SINK',
    }),
    tui: Flags.boolean({
      summary: 'Show the live console (as agentctl tui) of this agent while it runs; q drains it.',
      env: 'AGENTCTL_TUI',
      exclusive: ['json'],
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Consume);
    if (flags.tui && (!process.stdout.isTTY || !process.stdin.isTTY)) {
      const { UsageError } = await import('../core/errors/usage-error.js');
      throw new UsageError(
        '--tui needs a terminal (stdin and stdout must be TTYs); without it consume prints a progress line',
      );
    }
    const { store, config } = await this.openStore(flags);
    const { buildAgentOptions } = await import('../core/config/build-agent.js');
    const { Agent } = await import('../core/agent/agent.js');
    const ui = await import('../ui/text/consume.js');
    const { LiveLine } = await import('../ui/text/live-line.js');
    const built = await buildAgentOptions({
      config,
      store,
      overrides: {
        ...(flags.source ? { source: flags.source } : {}),
        ...(flags.from ? { from: flags.from } : {}),
        ...(flags.runner ? { runner: flags.runner as 'inline' | 'pool' | 'queue' } : {}),
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        ...(flags['until-empty'] ? { untilEmpty: true } : {}),
        ...(flags['max-events'] ? { maxEvents: flags['max-events'] } : {}),
        ...(flags.sink ? { sink: flags.sink } : {}),
      },
    });
    const agent = new Agent(built.options);
    const metricsServer =
      flags['metrics-port'] === undefined
        ? undefined
        : await (await import('../core/telemetry/metrics-server.js')).serveAgentMetrics(agent, {
            name: built.settings.name,
            port: flags['metrics-port'],
            host: flags['metrics-host'],
          });
    const json = this.jsonEnabled();
    const line = new LiveLine();
    const tui = flags.tui
      ? (await import('../ui/console/render-console.js')).renderConsole({
          store,
          config,
          agent,
          group: built.options.name,
          ...this.consoleContext(),
        })
      : undefined;
    let finished = false;
    void tui?.closed.then(() => finished || agent.requestDrain());
    const say = (event: Record<string, unknown>, human: string | undefined) => {
      if (tui !== undefined) return;
      if (json) this.logJson(event);
      else if (human) {
        line.clear();
        process.stderr.write(`${human}\n`);
      }
    };
    if (metricsServer) {
      const url = `http://${flags['metrics-host']}:${metricsServer.port}`;
      say(
        { type: 'metrics', url: `${url}/metrics` },
        `metrics on ${url}/metrics (health: /healthz, /readyz)`,
      );
    }
    agent.telemetry.on('assigned', (e) =>
      say({ type: 'assigned', ...e }, ui.renderInitialStarts(e.starts, e.keptBy)),
    );
    agent.telemetry.on('revoked', (e) =>
      say({ type: 'revoked', ...e }, `released ${e.partitions.join(', ')} (${e.reason})`),
    );
    const { redactSecrets } = await import('../core/redact.js');
    const { printable } = await import('../ui/text/printable.js');
    agent.telemetry.on('warning', (e) => {
      const message = redactSecrets(e.message);
      say({ type: 'warning', message }, `warning: ${printable(message)}`);
    });
    // The console shows progress itself; the progress line and NDJSON progress are for the other modes.
    const { progressOf } = await import('../core/model/status-snapshot.js');
    const showProgress = async () => {
      const snapshot = await agent.snapshot().catch(() => undefined);
      if (snapshot === undefined) return;
      const p = progressOf(snapshot);
      if (json) this.logJson({ type: 'progress', ...p });
      else line.update(ui.renderProgressLine(p));
    };
    const progress = tui === undefined ? setInterval(showProgress, 1_000) : undefined;
    const { onStopSignals } = await import('../cli/stop-signals.js');
    const offSignals = onStopSignals({
      say,
      drain: () => agent.requestDrain(),
      terminate: () => agent.terminate(),
      drainNote: 'draining (finish in flight, commit); press Ctrl-C again to stop at once',
      terminateNote: 'terminating without waiting',
    });
    const report = async (summary: AgentSummary) => {
      finished = true;
      // Terminated: steps that ignore their abort signal may still hold the event loop; do not wait for
      // them once the summary is out and the store is closed.
      if (summary.stoppedBy === 'terminate') setTimeout(() => process.exit(), 200).unref();
      tui?.close();
      await tui?.closed;
      line.clear();
      if (!json) this.log(ui.renderConsumeSummary(summary));
      return { type: 'summary', ...summary, source: built.source.uri };
    };
    try {
      return await report(await agent.run());
    } catch (error) {
      // A poison storm ends the run with what it did (committed) reported, then the error (exit 1).
      const { isPoisonStormError } = await import('../core/errors/poison-storm-error.js');
      if (isPoisonStormError(error)) {
        const summary = await report(agent.summarySoFar('poison-storm'));
        if (json) this.logJson(summary);
      }
      throw error;
    } finally {
      tui?.close();
      await metricsServer?.close();
      clearInterval(progress);
      line.clear();
      offSignals();
    }
  }
}
