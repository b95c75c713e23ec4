#!/usr/bin/env node
// Users of a CLI should not see the AWS SDK's warning about this Node version.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { main } = await import('../dist/cli/main.js');
await main(process.argv.slice(2), import.meta.url);
