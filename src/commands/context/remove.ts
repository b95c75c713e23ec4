import { BaseCommand } from '../../cli/base-command.js';
import { Args } from '../../cli/vendor/oclif.js';

export default class ContextRemove extends BaseCommand {
  static override summary = 'Remove a context (if it was current, none is afterwards).';
  static override examples = ['<%= config.bin %> context remove staging'];
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ required: true, description: 'The context’s name.' }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(ContextRemove);
    const { ContextBook } = await import('../../core/contexts/context-book.js');
    const { contextsPath } = await import('../../core/contexts/contexts-file.js');
    const removed = new ContextBook(contextsPath()).remove(args.name);
    if (!this.jsonEnabled()) this.log(`removed context ${removed.name}`);
    return { removed: removed.name };
  }
}
