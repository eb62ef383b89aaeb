/**
 * The dead-letter store's records and filters, and reading them back (src/deadletters/store.ts
 * writes them): one file at a time, line by line, never the whole store at once.
 */
import { join } from 'node:path';
import { fileNames, readLines } from './files.ts';

/** Why one message (or one element of an array) was refused. */
export interface RejectNote {
  reason: string;
  detail: string;
  /** Index in a JSON array payload; absent when the whole message was refused. */
  index?: number;
}

/** What the caller hands in. */
export interface DeadLetterInput {
  topic: string;
  site?: string;
  gateway?: string;
  device?: string;
  channel?: string;
  /** Arrival time, epoch ms: when it arrived, and the time rules a replay judges it by. */
  receivedAt: number;
  /**
   * The arrival slots the message was given (src/normalise/stamp.ts: first millisecond and offset
   * below it): a replay stamps time-less readings with them, as the first try did.
   */
  stamp?: { ms: number; offset: number };
  payload: Buffer;
  rejects: RejectNote[];
}

/** A stored dead letter. */
export interface DeadLetter extends Omit<DeadLetterInput, 'payload'> {
  /** `<file sequence, base 36>.<unique part>`: {@link findDeadLetters} reads only that file. */
  id: string;
  /** The payload verbatim: UTF-8 text when it is valid UTF-8, else base64. */
  payload: string;
  encoding: 'utf8' | 'base64';
}

export interface DeadLetterFilter {
  reason?: string;
  gateway?: string;
  site?: string;
  fromMs?: number;
  toMs?: number;
  limit?: number;
}

/** Stored dead letters in `dir` matching `filter`, newest first. */
export async function listDeadLetters(dir: string, filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  const limit = filter.limit ?? 100;
  const out: DeadLetter[] = [];
  for (const { name } of (await fileNames(dir)).reverse()) {
    // One file at a time (each at most fileBytes), read from its end.
    const lines: string[] = [];
    try {
      for await (const line of readLines(join(dir, name))) lines.push(line);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // pruned meanwhile
      throw e;
    }
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      const dl = parse(lines[i]!);
      if (dl && matches(dl, filter)) out.push(dl);
    }
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * The stored dead letters of `ids` (those still stored, each once, in the order asked), read
 * line by line and only from the file an id names; ids of earlier versions (no file sequence)
 * are looked for newest file first, stopping as soon as all are found.
 */
export async function findDeadLetters(dir: string, ids: readonly string[]): Promise<DeadLetter[]> {
  const found = new Map<string, DeadLetter>();
  const missing = new Set(ids);
  for (const { name, seq } of (await fileNames(dir)).reverse()) {
    const wanted = [...missing].some((id) => seqOf(id) === undefined || seqOf(id) === seq);
    if (!wanted) continue;
    try {
      for await (const line of readLines(join(dir, name))) {
        const id = /"id":"([^"\\]*)"/.exec(line)?.[1];
        if (id === undefined || !missing.has(id)) continue;
        const dl = parse(line);
        if (!dl) continue;
        found.set(id, dl);
        missing.delete(id);
        if (missing.size === 0) break;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (missing.size === 0) break;
  }
  return [...new Set(ids)].flatMap((id) => found.get(id) ?? []);
}

/** The file sequence an id names; undefined for ids of earlier versions. */
function seqOf(id: string): number | undefined {
  const dot = id.indexOf('.');
  return dot > 0 ? parseInt(id.slice(0, dot), 36) : undefined;
}

function parse(line: string): DeadLetter | undefined {
  if (!line) return undefined;
  try {
    return JSON.parse(line) as DeadLetter;
  } catch {
    return undefined; // a line torn by a crash mid-append (cut at the next start): skip it
  }
}

function matches(dl: DeadLetter, f: DeadLetterFilter): boolean {
  if (f.reason !== undefined && !dl.rejects.some((r) => r.reason === f.reason)) return false;
  if (f.gateway !== undefined && dl.gateway !== f.gateway) return false;
  if (f.site !== undefined && dl.site !== f.site) return false;
  if (f.fromMs !== undefined && dl.receivedAt < f.fromMs) return false;
  if (f.toMs !== undefined && dl.receivedAt >= f.toMs) return false;
  return true;
}
