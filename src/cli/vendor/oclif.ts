/**
 * The parts of oclif the CLI uses, as the rest of `src/cli` and `src/commands` import them. `npm run build`
 * replaces the compiled form of this file (`dist/cli/vendor/oclif.js`) with oclif and what it requires
 * bundled into one module (scripts/bundle-oclif.js): every `agentctl` process loads oclif before it does
 * anything, and Node resolving, statting and reading its ~100 CommonJS files one by one cost a third of the
 * CPU of `agentctl --version`. Everything here must come from this one module: the commands' `Command`
 * and the `Config` that runs them, and the `ExitError` that `main` tells apart, are then one copy of
 * oclif. Types and behaviour are oclif's own.
 */
export * as Args from '@oclif/core/args';
export { Command } from '@oclif/core/command';
export { Config } from '@oclif/core/config';
export * as Errors from '@oclif/core/errors';
export * as Flags from '@oclif/core/flags';
export { flush } from '@oclif/core/flush';
export { handle } from '@oclif/core/handle';
export { run } from '@oclif/core/run';
