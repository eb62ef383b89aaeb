#!/usr/bin/env node
// Runs the simulator's TypeScript sources through tsx's loader, so `npx community-sim` works right
// after `npm ci` with no build step (contract section 7).
import { register } from 'tsx/esm/api';

register();
await import('../simulators/cli.ts');
