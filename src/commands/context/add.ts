import { BaseCommand } from '../../cli/base-command.js';
import { sourceFlag } from '../../cli/flags.js';
import { Args, Flags } from '../../cli/vendor/oclif.js';

export default class ContextAdd extends BaseCommand {
  static override summary = 'Name an environment: the source, store and sink commands use in it.';
  static override description =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${ENV_VAR} is what the user writes, not a template
    'Stored in $XDG_CONFIG_HOME/agentctl/contexts.json (default ~/.config; the file 0600, its directory 0700). A context gives every command its settings below flags and AGENTCTL_* variables and above the config file. Contexts keep no secrets: a URI with a password (or a token= parameter) in clear is refused; write ${ENV_VAR} in its place, in single quotes, and the value is read from that variable each time the context is used. Relative paths (--db, --config, file: sources) are made absolute. --readonly refuses every command that writes; --production asks for the context name to be typed before destructive actions and shows the name in red in the TUI.';
  static override examples = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder the user writes, not a template
    "<%= config.bin %> context add staging --source 'amqp://app:${RABBIT_PASSWORD}@mq.staging/orders?queue=orders' --db postgres://agentctl@db.staging/agents",
    '<%= config.bin %> context add prod-look --source kinesis://orders?region=eu-west-1 --db postgres://agentctl@db/agents --readonly',
    '<%= config.bin %> context add dev --db .agentctl/agent.db --config agentctl.config.ts',
  ];
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ required: true, description: 'The context’s name.' }) };
  static override flags = {
    source: sourceFlag,
    sink: Flags.string({ summary: 'Sink URI (the config’s publisher.sink).', env: 'AGENTCTL_SINK' }),
    readonly: Flags.boolean({ summary: 'Refuse every command that writes.', env: 'AGENTCTL_READONLY' }),
    production: Flags.boolean({
      summary: 'Type the context name to confirm destructive actions; a red banner in the TUI.',
      env: 'AGENTCTL_PRODUCTION',
    }),
    force: Flags.boolean({ summary: 'Replace a context of that name.', env: 'AGENTCTL_FORCE' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ContextAdd);
    const { ContextBook } = await import('../../core/contexts/context-book.js');
    const { contextsPath } = await import('../../core/contexts/contexts-file.js');
    const book = new ContextBook(contextsPath());
    const view = book.add(
      args.name,
      {
        ...(flags.source === undefined ? {} : { source: flags.source }),
        ...(flags.db === undefined ? {} : { db: flags.db }),
        ...(flags.sink === undefined ? {} : { sink: flags.sink }),
        ...(flags.config === undefined ? {} : { config: flags.config }),
        ...(flags.readonly ? { readonly: true } : {}),
        ...(flags.production ? { production: true } : {}),
      },
      { cwd: process.cwd(), replace: flags.force },
    );
    if (!this.jsonEnabled()) {
      const { renderContext } = await import('../../ui/text/contexts.js');
      this.log(
        `${renderContext(view)}\n${view.current ? '' : `use it: agentctl context use ${view.name}`}`.trimEnd(),
      );
    }
    return view;
  }
}
