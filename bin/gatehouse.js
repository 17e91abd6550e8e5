#!/usr/bin/env node
// The `gatehouse` command. Sources are TypeScript, bundled at each start (bin/bundle.js): no build step.
// First, before any other module runs: see tick-shape.js.
import './tick-shape.js';
import { loadCli } from './bundle.js';

const { runCli, reportFatal } = await loadCli();
try {
  const code = await runCli(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  process.exit(reportFatal(error));
}
