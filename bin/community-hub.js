#!/usr/bin/env -S node --max-semi-space-size=64
// The flag above: a young generation that holds the messages in flight until their group commit,
// so they die young instead of being promoted and marked (docs/operations.md, "Node's young
// generation"). Run as `bin/community-hub.js …` or `npx community-hub …` to get it; tests and
// benches that start `node` themselves read it from this line (test/helpers/cli.ts).
// Runs the TypeScript sources through tsx's loader, so `npx community-hub` works right after
// `npm ci` with no build step (docs/contract.md §7).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
