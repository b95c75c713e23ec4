import { readFile } from 'node:fs/promises';
import { BaseCommand } from '../../cli/base-command.js';
import { Flags } from '../../cli/vendor/oclif.js';

async function readInput(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export default class RulesTest extends BaseCommand {
  static override summary = 'Show what the rules would do with events, without running anything.';
  static override description =
    'Decodes and evaluates each event exactly as consume would: the rules that match, the run ids they get, the process steps, and the rules that throw. Nothing runs and nothing is written; when the state store exists it is opened read-only to mark runs that already succeeded as "would be skipped".';
  static override examples = [
    '<%= config.bin %> rules test --event event.json',
    'tail -n 100 events.ndjson | <%= config.bin %> rules test --event - --json',
    `<%= config.bin %> rules test --event events.ndjson --where 'event.type == "order.paid"'`,
    `<%= config.bin %> rules test --event events.ndjson --where 'outcome == "unmatched"'`,
  ];
  static override enableJsonFlag = true;
  static override flags = {
    event: Flags.string({
      char: 'e',
      summary: 'File holding one JSON event, a JSON array, or NDJSON; - reads stdin.',
      required: true,
      env: 'AGENTCTL_EVENT',
    }),
    where: Flags.string({
      summary: 'Only the events for which this CEL expression is true.',
      description:
        'Variables: event (the decoded CloudEvent: event.type, event.data.*; null when it does not decode), payload (the text given), meta (source, index), and what the rules would do: outcome ("matched", "unmatched", "rule-error", "decode-error"), rules and processes (lists of names), error. Examples: --where \'event.type == "order.paid"\', --where \'"bill" in rules\'.',
      env: 'AGENTCTL_WHERE',
    }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RulesTest);
    const { config } = await this.agentConfig(flags.config, {
      required: 'there are no rules to test events against',
    });
    const { splitEvents, testRules } = await import('../../core/ops/rules.js');
    const { MissingStoreError, UsageError } = await import('../../core/errors/usage-error.js');
    const { renderRuleTest } = await import('../../ui/text/rules.js');
    const { Where } = await import('../../core/filter/where.js');
    const { ruleTestWhere } = await import('../../core/ops/rules-where.js');
    const origin = flags.event === '-' ? 'stdin' : flags.event;
    const where = flags.where === undefined ? undefined : Where.compile(flags.where, ruleTestWhere(origin));
    const text = await readInput(flags.event).catch((cause: Error) => {
      throw new UsageError(`cannot read ${origin}: ${cause.message}`, {
        cause,
        hint: 'check --event (a file, or - for stdin)',
      });
    });
    const store = await this.openStore(flags, { readonly: true, mustExist: true }).then(
      (opened) => opened.store,
      // Without --db, no store yet is fine (nothing ran, so nothing is skipped); any other problem is not.
      (error: unknown) => {
        if (flags.db !== undefined || !(error instanceof MissingStoreError)) throw error;
        return undefined;
      },
    );
    const report = await testRules(config, splitEvents(text, origin), store?.runs, where);
    if (!this.jsonEnabled()) this.log(renderRuleTest(report));
    this.note(where?.skippedNote());
    return report;
  }
}
