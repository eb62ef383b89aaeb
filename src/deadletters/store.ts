/**
 * The dead-letter store (docs/contract.md §2 and §3): every message that fails validation is kept
 * verbatim on local disk with its topic, gateway, arrival time and reasons, so nothing is dropped
 * without a trace and a fixed model can replay it later (docs/operations.md, "Dead letters").
 *
 * Layout: `<dir>/dl-YYYYMMDDHH.jsonl`, one JSON record a line, one file per UTC hour. Appends are
 * group-committed: records offered while a write is under way share the next write and fsync, so
 * a burst of bad messages costs one fsync, not one each. `add()` resolves only once the record is
 * on disk: the broker acknowledges a dead-lettered QoS 1 message after that, never before.
 * Bounds: files older than `maxAgeMs` and the oldest files beyond `maxBytes` are removed.
 */
import { mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

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
  /** Arrival time, epoch ms: a replay stamps time-less readings with it, as the first try did. */
  receivedAt: number;
  payload: Buffer;
  rejects: RejectNote[];
}

/** A stored dead letter. */
export interface DeadLetter extends Omit<DeadLetterInput, 'payload'> {
  id: string;
  /** The payload verbatim: UTF-8 text when it is valid UTF-8, else base64. */
  payload: string;
  encoding: 'utf8' | 'base64';
}

export interface DeadLetterStoreOptions {
  dir: string;
  maxBytes: number;
  maxAgeMs: number;
  /** fsync after each group of appends (default true). */
  fsync?: boolean;
  now?: () => number;
}

export interface DeadLetterFilter {
  reason?: string;
  gateway?: string;
  site?: string;
  fromMs?: number;
  toMs?: number;
  limit?: number;
}

/** Which dead letters a replay takes: `ids` (every stored one with such an id), else those matching the filter. */
export interface DeadLetterSelection extends DeadLetterFilter {
  ids?: string[];
}

const FILE = /^dl-(\d{10})\.jsonl$/;

/**
 * Dead letters on local disk, bounded in size and age, counted by reason. A component of the hub
 * (src/lifecycle.ts): `start()` creates the folder and prunes, `stop()` waits for what was offered.
 */
export class DeadLetterStore {
  readonly name = 'dead letters';
  readonly #counts = new Map<string, number>();
  #pending: { line: string; hour: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #writing: Promise<void> | undefined;
  #seq = 0;
  /** Hour of the last append and bytes since the last prune: when to apply the bounds again. */
  #lastHour: string | undefined;
  #bytesSincePrune = 0;
  readonly #now: () => number;
  readonly #options: DeadLetterStoreOptions;

  constructor(options: DeadLetterStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Create the folder and apply the bounds to what an earlier run left. */
  async start(): Promise<void> {
    await mkdir(this.#options.dir, { recursive: true });
    await this.prune();
  }

  /** Rejections counted by reason since start (one per reject note). */
  countsByReason(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  /** Store one dead letter; resolves once it is on disk. */
  add(input: DeadLetterInput): Promise<DeadLetter> {
    const text = input.payload.toString('utf8');
    const utf8 = Buffer.from(text, 'utf8').equals(input.payload);
    const record: DeadLetter = {
      ...input,
      id: `${input.receivedAt.toString(36)}-${(this.#seq++).toString(36)}-${process.pid.toString(36)}`,
      payload: utf8 ? text : input.payload.toString('base64'),
      encoding: utf8 ? 'utf8' : 'base64',
    };
    for (const r of input.rejects) this.#counts.set(r.reason, (this.#counts.get(r.reason) ?? 0) + 1);
    const hour = new Date(this.#now()).toISOString().slice(0, 13).replace(/\D/g, '');
    return new Promise<DeadLetter>((resolve, reject) => {
      this.#pending.push({ line: JSON.stringify(record) + '\n', hour, resolve: () => resolve(record), reject });
      this.#writing ??= this.#drain();
    });
  }

  /** Wait for every offered record to be written. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** The component's stop: what was offered is written (nothing is refused: a late add still lands). */
  stop(): Promise<void> {
    return this.flush();
  }

  /** The dead letters a replay takes: those with the `ids` given, else those matching the filter. */
  async select(selection: DeadLetterSelection): Promise<DeadLetter[]> {
    const { ids, ...filter } = selection;
    if (!ids) return this.list(filter);
    const wanted = new Set(ids);
    return (await this.list({ limit: Number.MAX_SAFE_INTEGER })).filter((dl) => wanted.has(dl.id));
  }

  /** Stored dead letters matching `filter`, newest first. */
  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    await this.flush();
    const limit = filter.limit ?? 100;
    const out: DeadLetter[] = [];
    for (const file of (await this.#files()).reverse()) {
      const lines = (await readFile(join(this.#options.dir, file), 'utf8')).split('\n');
      for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
        const line = lines[i];
        if (!line) continue;
        let dl: DeadLetter;
        try {
          dl = JSON.parse(line) as DeadLetter;
        } catch {
          continue; // a line torn by a crash mid-append: skip it, keep the rest
        }
        if (matches(dl, filter)) out.push(dl);
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The raw payload of a stored dead letter. */
  static payloadOf(dl: DeadLetter): Buffer {
    return Buffer.from(dl.payload, dl.encoding);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        // Records of one group normally share an hour; split only at an hour boundary.
        const byHour = new Map<string, typeof batch>();
        for (const p of batch) byHour.set(p.hour, [...(byHour.get(p.hour) ?? []), p]);
        for (const [hour, items] of byHour) {
          try {
            await this.#append(`dl-${hour}.jsonl`, items.map((p) => p.line).join(''));
            items.forEach((p) => p.resolve());
          } catch (e) {
            items.forEach((p) => p.reject(e));
          }
        }
        const hours = [...byHour.keys()];
        this.#bytesSincePrune += batch.reduce((a, p) => a + p.line.length, 0);
        if (hours.some((h) => h !== this.#lastHour) || this.#bytesSincePrune > this.#options.maxBytes / 16) {
          this.#lastHour = hours[hours.length - 1];
          this.#bytesSincePrune = 0;
          await this.prune();
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #append(file: string, text: string): Promise<void> {
    const handle = await open(join(this.#options.dir, file), 'a');
    try {
      await handle.write(text);
      if (this.#options.fsync !== false) await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  async #files(): Promise<string[]> {
    const names = await readdir(this.#options.dir).catch(() => [] as string[]);
    return names.filter((n) => FILE.test(n)).sort();
  }

  /** Remove files past the age bound, then the oldest files while over the size bound. */
  async prune(): Promise<void> {
    const files = await this.#files();
    const oldestKept = this.#now() - this.#options.maxAgeMs;
    const sized: { file: string; bytes: number }[] = [];
    for (const file of files) {
      const hour = FILE.exec(file)![1]!;
      const end = Date.UTC(+hour.slice(0, 4), +hour.slice(4, 6) - 1, +hour.slice(6, 8), +hour.slice(8, 10) + 1);
      if (end < oldestKept) await unlink(join(this.#options.dir, file)).catch(() => undefined);
      else sized.push({ file, bytes: (await stat(join(this.#options.dir, file))).size });
    }
    let total = sized.reduce((a, s) => a + s.bytes, 0);
    // Keep the newest file even when it alone is over the bound: it is being written.
    while (total > this.#options.maxBytes && sized.length > 1) {
      const oldest = sized.shift()!;
      await unlink(join(this.#options.dir, oldest.file)).catch(() => undefined);
      total -= oldest.bytes;
    }
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
