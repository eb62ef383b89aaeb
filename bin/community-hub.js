#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node --max-semi-space-size=64
// The line above (docs/operations.md, "Node's memory settings"): a young generation that holds the
// messages in flight until their group commit, so they die young instead of being promoted and
// marked; and malloc on transparent huge pages, so the spool's record buffers do not page-fault
// into fresh memory 4 KiB at a time. Run as `bin/community-hub.js …` or `npx community-hub …` to
// get both; tests and benches that start `node` themselves read them from this line
// (test/helpers/cli.ts).
// Runs the TypeScript sources through tsx's loader, so `npx community-hub` works right after
// `npm ci` with no build step (docs/contract.md §7).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
