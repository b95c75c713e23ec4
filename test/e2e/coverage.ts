/**
 * The coverage table: every command example of README.md (by its exact text, see readme-examples.ts) and
 * the scenario that runs it. `readme-coverage.test.ts` fails when an example is missing here or an entry
 * is no longer in the README; each scenario file fails when it does not run every example given to it.
 *
 * status:
 * - `as written`: the README text itself is run by bash in a fresh temp project (`agentctl` on the PATH
 *   is this repository's bin/run.js, as `npm link` gives);
 * - `substituted`: run with what `how` says replaced (a service host, a placeholder id, a temp path);
 * - `not run`: `how` says why (it would run the whole repository suite or install packages).
 */

export type Scenario =
  | 'quickstart'
  | 'consume'
  | 'publish'
  | 'operations'
  | 'ranges'
  | 'drain'
  | 'tui'
  | 'prune'
  | 'fleet'
  | 'worker'
  | 'completion'
  | 'completion-zsh'
  | 'describe'
  | 'describe-amqp'
  | 'contexts'
  | 'redrive'
  | 'stall-alerts'
  | 'edit'
  | 'checkpoint-plans'
  | 'search';

export interface Coverage {
  readonly scenario: Scenario;
  readonly status: 'as written' | 'substituted' | 'not run';
  readonly how?: string;
  /** Set when agentctl does not do what the README says: the test asserts the README and is expected to fail. */
  readonly knownFailure?: string;
}

export const COVERAGE: Readonly<Record<string, Coverage>> = {
  // Stall detection and alert rules (stall-alerts.test.ts)
  'agentctl status --exit-code --max-lag 10000 || echo "agents need a look"': {
    scenario: 'stall-alerts',
    status: 'as written',
    how: 'in a project whose agent is caught up (exit 0, nothing echoed), then with events behind and `--max-lag 0` (exit 3, echoed)',
  },
  'agentctl alerts > agentctl-rules.yml': { scenario: 'stall-alerts', status: 'as written' },
  'agentctl alerts --for 10m --job orders-agent > agentctl-rules.yml': {
    scenario: 'stall-alerts',
    status: 'as written',
  },
  'promtool check rules agentctl-rules.yml': {
    scenario: 'stall-alerts',
    status: 'as written',
    how: 'skipped (visibly) without promtool unless AGENTCTL_REQUIRE_PROMTOOL=1',
  },
  // Shell completion (completion.test.ts): HOME and XDG_CACHE_HOME are the temp project.
  'agentctl autocomplete bash': {
    scenario: 'completion',
    status: 'as written',
    how: 'HOME is the temp project',
  },
  'agentctl autocomplete script bash >> ~/.bashrc': {
    scenario: 'completion',
    status: 'as written',
    how: 'HOME is the temp project; a new bash then completes on TAB',
  },
  'agentctl autocomplete zsh': {
    scenario: 'completion-zsh',
    status: 'as written',
    how: 'HOME is the temp project',
  },
  'agentctl autocomplete script zsh >> ~/.zshrc': {
    scenario: 'completion-zsh',
    status: 'as written',
    how: 'HOME is the temp project; zsh -i in tmux then completes on TAB (skipped without zsh or tmux)',
  },
  'agentctl autocomplete --refresh-cache': { scenario: 'completion', status: 'as written' },
  // Quickstart and development (quickstart.test.ts)
  'git clone <this repository> agentctl && cd agentctl': {
    scenario: 'quickstart',
    status: 'substituted',
    how: '<this repository> is this worktree (its committed HEAD); the clone gets node_modules as a symlink and dist/ copied, instead of npm ci',
  },
  'npm ci && npm run demo': {
    scenario: 'quickstart',
    status: 'substituted',
    how: '`npm run demo` runs in the fresh clone; `npm ci` is not run (no registry installs in tests: node_modules is linked, dist/ copied)',
  },
  'npm run demo': { scenario: 'quickstart', status: 'as written', how: 'in the fresh clone' },
  'npm test': {
    scenario: 'quickstart',
    status: 'not run',
    how: 'it is the whole repository suite, this suite included',
  },
  'npm run check': { scenario: 'quickstart', status: 'not run', how: 'typecheck + lint + the whole suite' },
  'npm run sim': {
    scenario: 'quickstart',
    status: 'substituted',
    how: '`npm run sim -- --seeds 5` (a few scenarios of the seeded simulation; CI runs 300 through vitest)',
  },
  'npm run bench': {
    scenario: 'quickstart',
    status: 'substituted',
    how: '`node bench/run.js local` with BENCH_EVENTS=2000 (the bench script without its build step, one scenario, few events); checks one JSON line with the documented fields',
  },
  'agentctl init': {
    scenario: 'quickstart',
    status: 'as written',
    how: 'with `agentctl` on the PATH as `npm link` puts it (a symlink to bin/run.js)',
  },
  'agentctl publish --file events.ndjson --raw': { scenario: 'quickstart', status: 'as written' },
  'agentctl status && agentctl failed list': { scenario: 'quickstart', status: 'as written' },

  // consume (consume.test.ts)
  'agentctl consume': {
    scenario: 'consume',
    status: 'as written',
    how: 'SIGINT drains (exit 0); a second SIGINT ends it',
  },
  'agentctl consume --until-empty': { scenario: 'consume', status: 'as written' },
  'agentctl consume --source file:events.ndjson --from earliest --json': {
    scenario: 'consume',
    status: 'as written',
    how: 'follows the file until SIGINT, then the summary',
  },
  'agentctl consume --runner pool --concurrency 16 --max-events 100000': {
    scenario: 'consume',
    status: 'substituted',
    how: '--max-events 100000 → 1000 with 1,010 events in the log (the stop at --max-events is checked; 100,000 events take ~40 s here)',
  },
  'agentctl consume --sink stdout': { scenario: 'consume', status: 'as written', how: 'until SIGINT' },

  // publish (publish.test.ts)
  'agentctl publish --file events.ndjson': { scenario: 'publish', status: 'as written' },
  'cat events.ndjson | agentctl publish --file - --source local:orders': {
    scenario: 'publish',
    status: 'as written',
  },
  'agentctl publish --type submission.created --data \'{"submissionId":"s-1","title":"On Streams"}\' --subject s-1':
    {
      scenario: 'publish',
      status: 'as written',
    },
  'agentctl publish --file mixed.ndjson --raw': { scenario: 'publish', status: 'as written' },

  // peek (operations.test.ts)
  'agentctl peek': { scenario: 'operations', status: 'as written' },
  'agentctl peek -n 5 --from -1h': { scenario: 'operations', status: 'as written' },
  'agentctl peek --around-checkpoint -B 2 -A 3': { scenario: 'operations', status: 'as written' },
  'agentctl peek --where \'event.type == "order.paid"\' --json': {
    scenario: 'operations',
    status: 'as written',
  },
  'agentctl peek --json -n 0 | agentctl publish --file - --source local:orders-copy': {
    scenario: 'operations',
    status: 'as written',
  },

  // looking and acting on parked failures (operations.test.ts)
  'agentctl status': { scenario: 'operations', status: 'as written' },
  "agentctl status --json | jq '.partitions[] | {partition, committed, latest, lagRecords}'": {
    scenario: 'operations',
    status: 'as written',
  },
  'agentctl status --json': { scenario: 'operations', status: 'as written' },
  'agentctl status --all': { scenario: 'operations', status: 'as written' },
  'agentctl failed list [--reason decode|rule|process|publish] [--rule R] [--search TEXT] [--status pending|replayed|discarded|any]':
    {
      scenario: 'operations',
      status: 'substituted',
      how: 'a synopsis: each option run with a concrete value',
    },
  // searching parked items (search.test.ts)
  "agentctl failed list --search 'billing is down'": { scenario: 'search', status: 'as written' },
  "agentctl failed list --search 'order-4*' --status any": { scenario: 'search', status: 'as written' },
  "agentctl failed list --search evt-3 --where 'attempts >= 1' --json": {
    scenario: 'search',
    status: 'as written',
  },
  'npm run bench -- failed-search': {
    scenario: 'search',
    status: 'substituted',
    how: '`node bench/run.js failed-search` with BENCH_ITEMS=2000, BENCH_ROUNDS=1 (without the build step, a small store); checks its JSON line',
  },
  'agentctl failed list': { scenario: 'operations', status: 'as written' },
  'agentctl failed list --json': { scenario: 'operations', status: 'as written' },
  'agentctl failed show 42': {
    scenario: 'operations',
    status: 'as written',
    how: '45 items are parked first',
  },
  'agentctl failed discard 42 43 --yes': { scenario: 'operations', status: 'as written' },
  'agentctl failed export --format ndjson > failed.ndjson': { scenario: 'operations', status: 'as written' },
  'agentctl failed list --where \'reason == "process" && event.type == "order.paid"\'': {
    scenario: 'operations',
    status: 'as written',
  },
  // Editing parked events before replay (failed-edit.test.ts): ids 1–41 are decode failures, 42–46 orders.
  'agentctl failed edit 42': {
    scenario: 'edit',
    status: 'substituted',
    how: 'EDITOR is a script that changes the file it is given, as a user would in an editor',
  },
  'agentctl failed edit 42 --raw': {
    scenario: 'edit',
    status: 'substituted',
    how: 'EDITOR is a script that changes the text it is given',
  },
  'agentctl failed edit 42 --patch \'{"data":{"region":"eu-west-1","coupon":null}}\'': {
    scenario: 'edit',
    status: 'as written',
  },
  'agentctl failed edit --where \'event.data.region == "us"\' --patch \'{"data":{"region":"us-east-1"}}\' --dry-run':
    { scenario: 'edit', status: 'as written' },
  'agentctl failed edit --where \'event.data.region == "us"\' --patch \'{"data":{"region":"us-east-1"}}\' --yes':
    { scenario: 'edit', status: 'as written' },
  'agentctl failed show 42 --original': { scenario: 'edit', status: 'as written' },
  'agentctl replay --failed --id 42 --yes': { scenario: 'edit', status: 'as written' },
  'agentctl runs list': { scenario: 'operations', status: 'as written' },
  'agentctl runs list --state failed --since 1h': { scenario: 'operations', status: 'as written' },
  'agentctl runs list --process billing --rule bill --group orders --json': {
    scenario: 'operations',
    status: 'as written',
  },
  'agentctl runs list --where \'state == "failed" && step == "charge" && event.data.amount > 2\'': {
    scenario: 'operations',
    status: 'as written',
  },
  'agentctl runs show iSNDFvAOZfbrgoUeIN8WHHXuJad': {
    scenario: 'operations',
    status: 'as written',
    how: 'the run of rule bill for evt-3 of /orders in agent orders (run ids are derived from these)',
  },
  'agentctl runs show iSNDFv --json': { scenario: 'operations', status: 'as written' },
  'agentctl replay --failed': {
    scenario: 'operations',
    status: 'as written',
    how: 'without a terminal and without --yes it refuses (exit 2) and changes nothing',
  },
  'agentctl replay --failed --yes': { scenario: 'operations', status: 'as written' },
  'agentctl replay --failed --reason process --since 2026-11-24T00:00:00Z --limit 100 --yes': {
    scenario: 'operations',
    status: 'as written',
  },
  'agentctl replay --failed --id 42 --id 43 --dry-run': { scenario: 'operations', status: 'as written' },
  'agentctl replay --failed --where \'reason == "process" && attempts < 5\' --dry-run': {
    scenario: 'operations',
    status: 'as written',
  },
  // Redrive to the origin (redrive.test.ts): orders parked from the local log while billing is down.
  'agentctl replay --failed --to-origin --dry-run': { scenario: 'redrive', status: 'as written' },
  'agentctl replay --failed --to-origin --yes': { scenario: 'redrive', status: 'as written' },
  'agentctl replay --failed --to-origin --reason process --rate 50/s --yes': {
    scenario: 'redrive',
    status: 'as written',
  },
  "agentctl replay --failed --to-origin --where 'attempts < 5' --since 2h --yes": {
    scenario: 'redrive',
    status: 'as written',
  },
  'agentctl rules list': { scenario: 'operations', status: 'as written' },
  'agentctl rules test --event event.json': { scenario: 'operations', status: 'as written' },
  'cat events.ndjson | agentctl rules test --event -': { scenario: 'operations', status: 'as written' },
  'agentctl rules test --event events.ndjson --where \'outcome == "unmatched"\'': {
    scenario: 'operations',
    status: 'as written',
  },

  // describe (describe.test.ts)
  'agentctl describe': { scenario: 'describe', status: 'as written' },
  'agentctl describe --key customer-42 --json': { scenario: 'describe', status: 'as written' },
  'agentctl describe --key customer-42': { scenario: 'describe', status: 'as written' },
  "agentctl describe 'kinesis://orders?region=eu-west-1' --key customer-42": {
    scenario: 'describe',
    status: 'substituted',
    how: 'region=eu-west-1 becomes region=us-east-1&endpoint=<kinesalite served by the test>, where a stream `orders` was created',
  },
  "agentctl describe 'amqp://agent:secret@rabbit:5672/?queue=orders' --management-url http://rabbit:15672": {
    scenario: 'describe-amqp',
    status: 'substituted',
    how: 'the broker of AMQP_URL (its user and password) and its management API on 15672, a quorum queue with a unique name instead of orders',
  },

  // ranges and checkpoints of a log with history (ranges.test.ts)
  'agentctl replay --from 1200 --partition 2 --to 1500': {
    scenario: 'ranges',
    status: 'as written',
    how: 'at a terminal (a pty from `script`) answering y: without --yes and without a terminal it refuses (exit 2); see the proposed README fix',
  },
  'agentctl replay --from 1200 --partition 2 --rerun': {
    scenario: 'ranges',
    status: 'as written',
    how: 'at a terminal (a pty from `script`) answering y: without --yes and without a terminal it refuses (exit 2); see the proposed README fix',
  },
  'agentctl checkpoint list [--source URI] [--json]': {
    scenario: 'ranges',
    status: 'substituted',
    how: 'a synopsis: run bare, with --source local:orders and with --json',
  },

  // checkpoint moves as plans, --execute and the history (checkpoint-plans.test.ts)
  'agentctl checkpoint set --to-time -1h': { scenario: 'checkpoint-plans', status: 'as written' },
  'agentctl checkpoint set --to-time 2025-01-31T12:00:00Z --execute --yes --reason "re-run after the fix"': {
    scenario: 'checkpoint-plans',
    status: 'as written',
  },
  'agentctl checkpoint set --partition 2 --shift-by=-100 --execute --yes': {
    scenario: 'checkpoint-plans',
    status: 'as written',
  },
  'agentctl checkpoint set --partition 2 --to 1500 --execute --yes': {
    scenario: 'checkpoint-plans',
    status: 'as written',
  },
  'agentctl checkpoint reset': { scenario: 'checkpoint-plans', status: 'as written' },
  'agentctl checkpoint reset --execute --yes --reason "replay everything"': {
    scenario: 'checkpoint-plans',
    status: 'as written',
  },
  'agentctl checkpoint reset --partition 2 --to latest --execute --yes': {
    scenario: 'checkpoint-plans',
    status: 'as written',
  },
  'agentctl checkpoint history --partition 2 --limit 5': {
    scenario: 'checkpoint-plans',
    status: 'as written',
  },

  // drain (drain.test.ts)
  'agentctl drain': { scenario: 'drain', status: 'as written' },
  'agentctl drain --agent submission-agent@host#4711 --timeout 120 --json': {
    scenario: 'drain',
    status: 'substituted',
    how: 'the placeholder agent id is the running agent’s id (from status --json)',
  },

  // the console (tui.test.ts; under tmux for a terminal)
  'agentctl tui': {
    scenario: 'tui',
    status: 'as written',
    how: 'in a tmux terminal; and refused without one',
  },
  'agentctl tui --readonly': { scenario: 'tui', status: 'as written', how: 'in a tmux terminal' },
  'agentctl consume --tui': { scenario: 'tui', status: 'as written', how: 'in a tmux terminal; q drains' },
  'agentctl tui --db postgres://…': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'postgres://… is the local PostgreSQL with a fresh schema; in a tmux terminal',
  },

  // store prune (prune.test.ts)
  'agentctl store prune --older-than 30d [--only runs,efforts,failed,log] [--dry-run] [--yes] [--json]': {
    scenario: 'prune',
    status: 'substituted',
    how: 'a synopsis: run as --older-than 0s --only runs,efforts,failed,log --dry-run --json, then --yes --json',
  },
  'agentctl store prune --older-than 14d --yes --json': { scenario: 'prune', status: 'as written' },
  'agentctl store prune --older-than 14d --yes': { scenario: 'prune', status: 'as written' },
  'sqlite3 .agentctl/agent.db VACUUM': {
    scenario: 'prune',
    status: 'as written',
    how: 'with the agents stopped',
  },

  // fleet mode on PostgreSQL (fleet.test.ts)
  'agentctl store migrate [--db URL]': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'a synopsis: URL is the local PostgreSQL with a fresh schema',
  },
  'agentctl store migrate --db URL': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'URL is the local PostgreSQL with a fresh schema',
  },
  'agentctl store copy --from PATH --to postgres://… [--yes]': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'a synopsis: PATH is .agentctl/agent.db, postgres://… the local PostgreSQL',
  },
  'agentctl store migrate --db postgres://agentctl@db.internal/agents': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'db.internal/agents → the local PostgreSQL (db test) with a fresh ?schema=',
  },
  'agentctl store copy --from .agentctl/agent.db --to postgres://agentctl@db.internal/agents --yes': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'db.internal/agents → the local PostgreSQL with a fresh ?schema=',
  },
  'agentctl consume --db postgres://agentctl@db.internal/agents --metrics-port 9464': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'db.internal → local PostgreSQL; port 9464 → a free port (the machine is shared)',
  },
  'agentctl status --db postgres://agentctl@db.internal/agents --all': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'db.internal → local PostgreSQL',
  },
  'agentctl drain --db postgres://agentctl@db.internal/agents --agent orders@host-b#4711': {
    scenario: 'fleet',
    status: 'substituted',
    how: 'db.internal → local PostgreSQL; the placeholder agent id is the running agent’s id',
  },

  // the queue runner's worker on RabbitMQ (worker.test.ts)
  'agentctl worker --endpoint scoring --concurrency 16': {
    scenario: 'worker',
    status: 'substituted',
    how: 'endpoint scoring → a unique endpoint name (the broker is shared); --url is the local RabbitMQ',
  },
  'agentctl worker [--endpoint ID] [--concurrency N] [--url AMQP_URL] [--outbox PATH]': {
    scenario: 'worker',
    status: 'substituted',
    how: 'a synopsis: run with every option given',
  },

  // contexts and doctor (contexts.test.ts)
  'agentctl context add dev --db .agentctl/agent.db --source local:': {
    scenario: 'contexts',
    status: 'as written',
  },
  "agentctl context add prod --source 'amqp://app:${RABBIT_PASSWORD}@mq.prod:5672/orders?queue=orders' --db postgres://agentctl@db.prod/agents --readonly --production":
    {
      scenario: 'contexts',
      status: 'as written',
      how: 'nothing connects to mq.prod or db.prod: adding a context only writes contexts.json',
    },
  'agentctl context use dev': { scenario: 'contexts', status: 'as written' },
  'agentctl context list': { scenario: 'contexts', status: 'as written' },
  'agentctl replay --failed --yes --context prod': {
    scenario: 'contexts',
    status: 'as written',
    how: 'refused with exit 2 before anything connects (prod is read-only)',
  },
  'agentctl context show prod --json': { scenario: 'contexts', status: 'as written' },
  'agentctl context use --none': { scenario: 'contexts', status: 'as written' },
  'agentctl context remove dev': { scenario: 'contexts', status: 'as written' },
  'agentctl doctor': { scenario: 'contexts', status: 'as written' },
  'agentctl doctor --json': { scenario: 'contexts', status: 'as written' },
  "agentctl doctor --source 'amqp://guest:guest@127.0.0.1:5673/?queue=orders'": {
    scenario: 'contexts',
    status: 'as written',
    how: 'nothing listens on 5673: exit 1 with the fix',
  },
};

/** The examples the table marks as known failures of agentctl, with why. */
export const KNOWN_FAILURES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(COVERAGE).flatMap(([text, c]) => (c.knownFailure ? [[text, c.knownFailure]] : [])),
);
