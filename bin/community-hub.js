#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader, so `npx community-hub` works right after
// `npm ci` with no build step (docs/contract.md §7).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
