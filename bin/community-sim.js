#!/usr/bin/env node
// Runs the simulator's TypeScript sources through tsx's loader, so `npx community-sim` works right
// after `npm ci` with no build step (docs/contract.md §7).
import { register } from 'tsx/esm/api';

register();
try {
  await import('../simulators/cli.ts');
} catch (e) {
  // A broken devices/<type>/<model>/sim.ts stops the simulator as it loads (simulators/models.ts):
  // say which folder and why, with the exit code of a configuration error, not a stack trace.
  if (e?.name !== 'SimModelError') throw e;
  process.stderr.write(`community-sim: ${e.message}\n`);
  process.exit(78);
}
