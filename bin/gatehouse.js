#!/usr/bin/env node
// The `gatehouse` command. Sources are TypeScript run through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli, reportFatal } = await import('../src/cli/cli-main.ts');
try {
  const code = await runCli(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  process.exit(reportFatal(error));
}
