import { BaseCommand } from '../../cli/base-command.js';

export default class ContextList extends BaseCommand {
  static override summary = 'List the contexts; the current one is marked with *.';
  static override description =
    'Credentials in URIs are never printed (a context holds placeholders, not secrets).';
  static override examples = ['<%= config.bin %> context list', '<%= config.bin %> context list --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    await this.parse(ContextList);
    const { ContextBook } = await import('../../core/contexts/context-book.js');
    const { contextsPath } = await import('../../core/contexts/contexts-file.js');
    const views = new ContextBook(contextsPath()).list();
    if (!this.jsonEnabled()) {
      const { renderContexts } = await import('../../ui/text/contexts.js');
      this.log(renderContexts(views));
    }
    return views;
  }
}
