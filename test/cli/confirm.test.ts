import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirm } from '../../src/cli/confirm.js';

/** A terminal that answers `answer`; what was asked is in `asked()`. */
function terminal(answer: string) {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let asked = '';
  output.on('data', (d: Buffer) => {
    asked += d.toString();
    if (asked.endsWith(': ') || asked.endsWith('] ')) input.write(`${answer}\n`);
  });
  return { input, output, asked: () => asked };
}

describe('confirm', () => {
  it('in a production context, asks for the context name and takes only that', async () => {
    const ok = terminal('prod-eu');
    await confirm('Move the checkpoint?', false, { typeToConfirm: 'prod-eu', ...ok });
    expect(ok.asked()).toContain('This is the production context "prod-eu": type its name to confirm: ');
    for (const wrong of ['y', 'yes', 'prod', 'PROD-EU']) {
      await expect(
        confirm('Move the checkpoint?', false, { typeToConfirm: 'prod-eu', ...terminal(wrong) }),
      ).rejects.toThrow(`cancelled: "${wrong}" is not the context's name`);
    }
  });

  it('elsewhere y confirms; --yes proceeds without asking; no terminal refuses', async () => {
    await confirm('Go?', false, terminal('y'));
    await expect(confirm('Go?', false, terminal('n'))).rejects.toThrow('cancelled');
    await confirm('Go?', true, {
      typeToConfirm: 'prod-eu',
      input: Object.assign(new PassThrough(), { isTTY: false }),
    });
    await expect(
      confirm('Go?', false, {
        typeToConfirm: 'prod-eu',
        input: Object.assign(new PassThrough(), { isTTY: false }),
      }),
    ).rejects.toThrow('not confirmed: stdin is not a terminal');
  });
});
