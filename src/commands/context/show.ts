import { BaseCommand } from '../../cli/base-command.js';
import { Args } from '../../cli/vendor/oclif.js';

export default class ContextShow extends BaseCommand {
  static override summary = 'Show a context (default: the one in use).';
  static override description = 'Credentials in URIs are never printed.';
  static override examples = [
    '<%= config.bin %> context show',
    '<%= config.bin %> context show staging --json',
  ];
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'The context’s name.' }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(ContextShow);
    const { ContextBook, view } = await import('../../core/contexts/context-book.js');
    const { contextsPath } = await import('../../core/contexts/contexts-file.js');
    const book = new ContextBook(contextsPath());
    const name = args.name ?? this.activeContext?.name;
    if (name === undefined) {
      const { UsageError } = await import('../../core/errors/usage-error.js');
      throw new UsageError('no context is in use', {
        hint: 'agentctl context show NAME, or agentctl context use NAME',
      });
    }
    const shown = view(name, book.get(name), book.current() === name);
    if (!this.jsonEnabled()) {
      const { renderContext } = await import('../../ui/text/contexts.js');
      this.log(renderContext(shown));
    }
    return shown;
  }
}
