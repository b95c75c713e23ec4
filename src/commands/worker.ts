import { BaseCommand } from '../cli/base-command.js';
import { Flags } from '../cli/vendor/oclif.js';

export default class Worker extends BaseCommand {
  static override summary =
    'Work the RabbitMQ task queue of a `queue` runner: run processes, publish results.';
  static override description =
    'Consumes <endpoint>.tasks, runs each task with the process of that name from the config, and publishes the result to the "results" exchange (routing key <endpoint>.results), where the agent records it. Results are kept in a local SQLite outbox until the broker confirms them, so a worker cut off from the broker keeps working and publishes later. Runs until SIGINT/SIGTERM, which drain (finish running tasks, publish results); a second signal stops at once. Run several workers, on several machines, to scale out.';
  static override examples = [
    '<%= config.bin %> worker',
    '<%= config.bin %> worker --endpoint gpu --concurrency 16',
    'AMQP_URL=amqp://agent:secret@rabbit:5672/prod <%= config.bin %> worker --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    endpoint: Flags.string({
      summary: 'Worker group whose tasks to run (default: runner.endpoint, else "default").',
      env: 'AGENTCTL_ENDPOINT',
    }),
    concurrency: Flags.integer({
      summary: 'Tasks run at once (also the prefetch; default: runner.concurrency, else 4).',
      min: 1,
      max: 65_535,
      env: 'AGENTCTL_CONCURRENCY',
    }),
    url: Flags.string({
      summary:
        'Broker URL, amqp://USER:PASS@HOST:5672/VHOST (default: runner.url, then AMQP_URL, then the local broker).',
      env: 'AGENTCTL_URL',
    }),
    outbox: Flags.string({
      summary:
        'SQLite file keeping results until the broker confirms them (default .agentctl/worker-<endpoint>.db).',
      env: 'AGENTCTL_OUTBOX',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Worker);
    const loaded = await this.agentConfig(flags.config, {
      required: 'a worker runs the processes a config defines',
    });
    const { workerFromConfig } = await import('../core/remote/worker-from-config.js');
    const ui = await import('../ui/text/worker.js');
    const json = this.jsonEnabled();
    const { service, plan } = workerFromConfig(loaded.config, loaded.dir, {
      ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
      ...(flags.url ? { url: flags.url } : {}),
      ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      ...(flags.outbox ? { outbox: flags.outbox } : {}),
    });
    const say = (event: Record<string, unknown>, human: string) => {
      if (json) this.logJson(event);
      else process.stderr.write(`${human}\n`);
    };
    const { redactSecrets } = await import('../core/redact.js');
    const { printable } = await import('../ui/text/printable.js');
    service.telemetry.on('warning', (e) => {
      const message = redactSecrets(e.message);
      say({ type: 'warning', message }, `warning: ${printable(message)}`);
    });
    const { onStopSignals } = await import('../cli/stop-signals.js');
    const offSignals = onStopSignals({
      say,
      drain: () => service.requestDrain(),
      terminate: () => service.terminate(),
      drainNote: 'draining (finish running tasks, publish results)',
      terminateNote: 'stopping now; running tasks go back to the queue',
    });
    try {
      say({ type: 'started', worker: service.id, ...plan }, ui.renderWorkerStarted(service.id, plan));
      const summary = await service.run();
      if (!json) this.log(ui.renderWorkerSummary(summary));
      return { type: 'summary', ...summary };
    } finally {
      offSignals();
    }
  }
}
