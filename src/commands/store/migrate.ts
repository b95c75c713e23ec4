import { BaseCommand } from '../../cli/base-command.js';

export default class StoreMigrate extends BaseCommand {
  static override summary = 'Create or upgrade the state store schema, and print its version.';
  static override description =
    'Works on the SQLite file or the postgres:// store that --db names (a schema=NAME query parameter picks the PostgreSQL schema). Migrations apply once, under a lock, even when agents start at the same moment; a store already up to date is left untouched.';
  static override examples = [
    '<%= config.bin %> store migrate',
    '<%= config.bin %> store migrate --db postgres://agentctl@db:5432/agents',
    '<%= config.bin %> store migrate --db "postgres://agentctl@db/agents?schema=fleet" --json',
  ];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(StoreMigrate);
    const loaded = await this.agentConfig(flags.config);
    const { DEFAULT_STORE_PATH } = await import('../../core/store/sqlite/store-defaults.js');
    const { migrateStore } = await import('../../core/ops/store-migrate.js');
    const location = flags.db ?? loaded.config.store ?? DEFAULT_STORE_PATH;
    const result = await migrateStore(location, {
      baseDir: flags.db === undefined ? loaded.dir : process.cwd(),
    });
    if (!this.jsonEnabled()) {
      this.log(
        result.from === result.to
          ? `${result.location}: schema version ${result.to}, up to date`
          : `${result.location}: schema version ${result.from} → ${result.to}`,
      );
    }
    return result;
  }
}
