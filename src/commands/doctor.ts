import { BaseCommand } from '../cli/base-command.js';
import { sourceFlag } from '../cli/flags.js';
import { Flags } from '../cli/vendor/oclif.js';

export default class Doctor extends BaseCommand {
  static override summary =
    'Check the setup: every setting with where it came from, and each thing it needs.';
  static override description =
    'Prints the resolved settings (context, config file, store, source, sink), each with its origin: flag, env, context, config file or default (credentials redacted). Then checks, each ✓ or ✗ with a fix: the config loads; the store opens at the current schema (read-only: nothing is created or migrated); its directory is writable; PostgreSQL’s clock against this host’s; the source and the sink answer with the given credentials (connected and closed; queues and streams looked at passively); with the queue runner, its task queue has a worker. Exits 1 when a check fails.';
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --context staging --json',
    "<%= config.bin %> doctor --source 'amqp://app:secret@mq:5672/orders?queue=orders'",
  ];
  static override enableJsonFlag = true;
  static override flags = {
    source: sourceFlag,
    sink: Flags.string({ summary: 'Sink URI (default: the config’s publisher.sink).', env: 'AGENTCTL_SINK' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Doctor);
    const { loadConfig } = await import('../core/config/load-config.js');
    const { withContext, resolveSettings } = await import('../cli/settings.js');
    const { DEFAULT_STORE_PATH } = await import('../core/store/sqlite/store-defaults.js');
    let configError: { message: string; hint?: string } | undefined;
    let file: Awaited<ReturnType<typeof loadConfig>> = {
      config: { name: 'agent' },
      path: undefined,
      dir: process.cwd(),
    };
    let loaded = file;
    try {
      file = await loadConfig(process.cwd(), flags.config ?? this.activeContext?.context.config);
      loaded = withContext(file, this.activeContext);
    } catch (error) {
      const { message, hint } = error as { message: string; hint?: string };
      configError = { message, ...(hint === undefined ? {} : { hint }) };
    }
    const settings = resolveSettings({
      flags,
      argv: this.argv,
      active: this.activeContext,
      fileConfig: file,
      defaults: { source: 'local:', db: DEFAULT_STORE_PATH, sink: 'local:results' },
    });
    const { runDoctor } = await import('../core/ops/doctor/doctor.js');
    const checks = await runDoctor({
      config: loaded.config,
      configDir: loaded.dir,
      configPath: loaded.path,
      ...(configError === undefined ? {} : { configError }),
      overrides: {
        ...(flags.source === undefined ? {} : { source: flags.source }),
        ...(flags.db === undefined ? {} : { db: flags.db }),
        ...(flags.sink === undefined ? {} : { sink: flags.sink }),
      },
    });
    const report = { ok: checks.every((c) => c.ok), settings, checks };
    if (!this.jsonEnabled()) {
      const { renderDoctor } = await import('../ui/text/doctor.js');
      this.log(renderDoctor(report));
    }
    if (!report.ok) process.exitCode = 1;
    const { redactDeep } = await import('../core/redact.js');
    return redactDeep(report);
  }
}
