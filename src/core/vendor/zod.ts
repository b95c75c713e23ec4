/**
 * zod, as the rest of the code imports it. `npm run build` replaces the compiled form of this file
 * (`dist/core/vendor/zod.js`) with zod bundled into one module (scripts/bundle-vendor.js): every `agentctl`
 * process validates its config, and loading zod's ~100 files one by one cost more CPU than the command
 * itself for the short ones (`status`, `failed list`). Types and behaviour are zod's own.
 */
export { z } from 'zod';
