/**
 * Human units in config: durations ("500ms", "10s", "5m", "2h", "30d") and sizes ("256KiB",
 * "1GiB", "10MB"); a plain number is milliseconds or bytes.
 */
import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/;
const SIZE_BYTES: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** A duration in milliseconds, written as a number of ms or a string such as "5m". */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = DURATION.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; write e.g. 500ms, 10s, 5m, 2h, 30d` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * DURATION_MS[m[2]!]!);
});

/** A size in bytes, written as a number of bytes or a string such as "256KiB". */
export const size = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = SIZE.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size; write e.g. 512B, 256KiB, 10MB, 1GiB` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * SIZE_BYTES[m[2]!]!);
});

/** A TCP port; 0 means any free port (docs/contract.md §7). */
export const port = z.coerce.number().int().min(0).max(65535);
