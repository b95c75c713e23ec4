import { BaseCommand } from '../../cli/base-command.js';
import { failedFilterOf, failedFlags, failedWhereOf } from '../../cli/failed-flags.js';
import { yesFlag } from '../../cli/flags.js';
import { readFlagFile } from '../../cli/read-flag-file.js';
import { Args, Flags } from '../../cli/vendor/oclif.js';
import type { BulkEditResult } from '../../core/ops/failed-edit/edit-failed.js';

export default class FailedEdit extends BaseCommand {
  static override summary =
    'Edit a pending parked event before it is replayed: in $EDITOR, or by a merge patch.';
  static override description =
    'Opens $VISUAL or $EDITOR (else vi) on the event as pretty JSON in a private temporary file; what you save must be a valid CloudEvent (specversion, id, source, type), else every problem is listed, nothing changes and your text is kept in a file named in the error (take it up again with --from). --raw edits the bytes as text, unchecked. --patch applies an RFC 7386 merge patch (null removes a field) instead of an editor; without an ID it edits every pending item that --where, --reason, --rule, --search or --all select, all or nothing, after confirmation. The item keeps the bytes an edit replaced in its history (the first edit, the original: failed show --original), and the next replay --failed uses the edited bytes. Only pending items can be edited.';
  static override examples = [
    '<%= config.bin %> failed edit 42',
    '<%= config.bin %> failed edit 42 --raw',
    `<%= config.bin %> failed edit 42 --patch '{"data":{"region":"eu-west-1"}}'`,
    `<%= config.bin %> failed edit --where 'eventType == "order.created"' --patch '{"data":{"coupon":null}}' --dry-run`,
  ];
  static override enableJsonFlag = true;
  static override args = {
    id: Args.integer({ description: 'Id of the item to edit (see `agentctl failed list`).', min: 1 }),
  };
  static override flags = {
    raw: Flags.boolean({
      summary: 'Edit the bytes as text (no CloudEvent check).',
      env: 'AGENTCTL_RAW',
      exclusive: ['patch'],
    }),
    patch: Flags.string({
      summary: 'An RFC 7386 JSON merge patch to apply to the CloudEvent, instead of an editor.',
      env: 'AGENTCTL_PATCH',
    }),
    from: Flags.string({
      summary: 'Open the editor on this file (an edit that was refused) instead of the item.',
      env: 'AGENTCTL_FROM',
      exclusive: ['patch'],
    }),
    'dry-run': Flags.boolean({ summary: 'Show what would change; change nothing.', env: 'AGENTCTL_DRY_RUN' }),
    all: Flags.boolean({ summary: 'With --patch, no ID: every pending item.', env: 'AGENTCTL_ALL' }),
    reason: failedFlags.reason('With --patch, no ID: only items parked for this reason.'),
    rule: failedFlags.rule(),
    search: failedFlags.search(),
    where: failedFlags.where({}),
    yes: yesFlag,
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(FailedEdit);
    const { UsageError } = await import('../../core/errors/usage-error.js');
    const bulk =
      flags.all || [flags.reason, flags.rule, flags.search, flags.where].some((f) => f !== undefined);
    if (args.id !== undefined && bulk)
      throw new UsageError(
        'give an item id, or select items with --where, --reason, --rule, --search or --all — not both',
      );
    if (args.id === undefined && !bulk)
      throw new UsageError('give the id of the item to edit, or select items with --where and a --patch', {
        hint: 'agentctl failed edit --help',
      });
    if (bulk && flags.patch === undefined)
      throw new UsageError('editing many items takes a --patch (the editor opens on one item)', {
        hint: `agentctl failed edit --all --patch '{"data":{"x":1}}'`,
      });
    const patch = flags.patch === undefined ? undefined : parseJson(flags.patch, UsageError);
    const where = await failedWhereOf(flags);
    const { store } = await this.openStore(flags, { mustExist: true });
    const edit = await import('../../core/ops/failed-edit/edit-failed.js');
    const { editorIdentity } = await import('../../core/ops/failed-edit/item-edits.js');
    const dryRun = flags['dry-run'];
    const author = {
      by: editorIdentity(),
      how: patch !== undefined ? '--patch' : flags.raw ? 'editor --raw' : 'editor',
    };
    let result: Pick<BulkEditResult, 'planned' | 'edited' | 'unchanged'> & {
      changedMeanwhile?: readonly number[];
    };
    if (args.id === undefined) {
      const { renderEditQuestion } = await import('../../ui/text/failed-edit.js');
      result = await edit.patchFailedItems(store, { filter: failedFilterOf(flags), where }, patch, {
        author,
        dryRun,
        confirm: (items) => this.confirm(renderEditQuestion(items), flags.yes),
      });
      this.note(where?.skippedNote());
    } else {
      const { editFailedInEditor } = await import('../../core/ops/failed-edit/edit-in-editor.js');
      const startText =
        flags.from === undefined ? undefined : (await readFlagFile('--from', flags.from)).toString('utf8');
      const { plan, saved } =
        patch !== undefined
          ? await edit.patchFailed(store, args.id, patch, { author, dryRun })
          : await editFailedInEditor(store, args.id, {
              mode: flags.raw ? 'raw' : 'event',
              author,
              dryRun,
              ...(startText === undefined ? {} : { startText }),
            });
      const changed = plan.outcome.changed;
      result = {
        planned: changed ? [plan] : [],
        edited: saved || (dryRun && changed) ? [args.id] : [],
        unchanged: changed ? [] : [args.id],
      };
    }
    const summary = {
      edited: result.edited.length,
      unchanged: result.unchanged.length,
      changedMeanwhile: result.changedMeanwhile?.length ?? 0,
    };
    if (!this.jsonEnabled()) {
      const ui = await import('../../ui/text/failed-edit.js');
      for (const { item, outcome } of result.planned)
        this.log(ui.renderEditChanges(item.id, item.raw, outcome.raw));
      this.log(ui.renderEdited(summary, dryRun));
    }
    return { ...summary, dryRun, ids: result.edited };
  }
}

function parseJson(
  text: string,
  UsageError: new (message: string, options?: { hint?: string }) => Error,
): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--patch is not valid JSON: ${(error as Error).message}`, {
      hint: `a JSON merge patch, e.g. --patch '{"data":{"region":"eu"}}' (null removes a field)`,
    });
  }
}
