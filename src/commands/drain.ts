import { BaseCommand } from '../cli/base-command.js';
import { yesFlag } from '../cli/flags.js';
import { Flags } from '../cli/vendor/oclif.js';

export default class Drain extends BaseCommand {
  static override summary = 'Stop a running agent gracefully: finish work in flight, commit, exit.';
  static override description =
    "Sends a drain request through the state store (works across processes and hosts) and waits until the agent reports what it finished. Without --agent it drains the only running agent of the config's group (of any group when there is no config file). On a terminal it asks first unless --yes; without a terminal it proceeds, since a drain loses nothing (it is what SIGTERM does). After --timeout the request stays: the agent may still act on it.";
  static override examples = [
    '<%= config.bin %> drain',
    "<%= config.bin %> drain --agent 'orders@host-1#4242' --timeout 120 --json",
  ];
  static override enableJsonFlag = true;
  static override flags = {
    agent: Flags.string({
      summary: 'Id of the agent to drain (NAME@HOST#PID); default: the only running agent of the group.',
      env: 'AGENTCTL_AGENT',
    }),
    timeout: Flags.integer({
      summary: 'Seconds to wait for the agent to finish.',
      default: 60,
      min: 1,
      env: 'AGENTCTL_TIMEOUT',
    }),
    yes: yesFlag,
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Drain);
    const loaded = await this.agentConfig(flags.config);
    const { store } = await this.openStore(flags, { mustExist: true });
    const { drainAgent } = await import('../core/ops/drain.js');
    const ui = await import('../ui/text/drain.js');
    const timeoutMs = flags.timeout * 1000;
    const result = await drainAgent(store, {
      ...(flags.agent === undefined ? {} : { agentId: flags.agent }),
      ...(loaded.path === undefined ? {} : { group: loaded.config.name }),
      timeoutMs,
      pollMs: 200,
      approve: async (agent) => {
        if (process.stdin.isTTY)
          await this.confirm(`Drain ${agent.id} (pid ${agent.pid} on ${agent.host})?`, flags.yes);
      },
      onRequested: (agent, request) => {
        if (!this.jsonEnabled())
          process.stderr.write(`${ui.renderDrainRequested(agent.id, request.id, timeoutMs)}\n`);
      },
    });
    if (!this.jsonEnabled()) this.log(ui.renderDrainResult(result));
    return result;
  }
}
