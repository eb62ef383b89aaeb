/**
 * The HTTP transport of the store's queries, pings and database management: the official client's
 * Node transport, wrapped so that it also speaks to InfluxDB 1.x servers older than 1.8
 * (docs/contract.md §4). Writes post ready line protocol with the same settings (post.ts).
 */
import { InfluxDB, RequestTimedOutError } from '@influxdata/influxdb-client';
import type { CommunicationObserver, ResponseStartedFn, SendOptions, Transport } from '@influxdata/influxdb-client';
import { influxApiVersion, type InfluxSettings } from './settings.ts';

const V2_WRITE = '/api/v2/write?';

/**
 * The bucket name the writer gives the client on 1.x: `database/retention-policy`, the same
 * convention InfluxDB 1.8 uses for its 2.x-compatible write endpoint
 * (docs.influxdata.com/influxdb/v1.8/tools/api/#apiv2write-http-endpoint).
 */
export function v1Bucket(database: string, retentionPolicy?: string): string {
  return retentionPolicy ? `${database}/${retentionPolicy}` : database;
}

/**
 * Rewrites the client's `/api/v2/write?org=&bucket=db/rp&precision=` to the 1.x
 * `/write?db=&rp=&precision=` (docs.influxdata.com/influxdb/v1.6/tools/api/#write-http-endpoint);
 * any other path is returned unchanged.
 */
export function toV1Path(path: string): string {
  if (!path.startsWith(V2_WRITE)) return path;
  const v2 = new URLSearchParams(path.slice(V2_WRITE.length));
  const bucket = v2.get('bucket') ?? '';
  const slash = bucket.indexOf('/');
  const v1 = new URLSearchParams({ db: slash < 0 ? bucket : bucket.slice(0, slash) });
  if (slash >= 0) v1.set('rp', bucket.slice(slash + 1));
  // The client's precisions are ns/us/ms/s; 1.x spells microseconds `u`.
  const precision = v2.get('precision');
  if (precision) v1.set('precision', precision === 'us' ? 'u' : precision);
  const consistency = v2.get('consistency');
  if (consistency) v1.set('consistency', consistency);
  return `/write?${v1.toString()}`;
}

/**
 * Builds the transport for `settings`: on 2.x/3.x the client's own transport with
 * `Authorization: Token`; on 1.x the same transport with writes rewritten by {@link toV1Path}
 * and user/password sent as HTTP Basic authentication, which 1.x accepts in place of the `u`/`p`
 * query parameters and which keeps credentials out of URLs and logs
 * (docs.influxdata.com/influxdb/v1.6/administration/authentication_and_authorization/).
 * Every request also gets an overall deadline of `requestTimeoutMs`: the client's `timeout` only
 * bounds socket inactivity and leaves the request open after it fires.
 */
export function createTransport(settings: Readonly<InfluxSettings>): Transport {
  const v1 = influxApiVersion(settings) === 1;
  const base = new InfluxDB({
    url: settings.url,
    timeout: settings.requestTimeoutMs,
    ...(v1 ? {} : { token: settings.token }),
  }).transport;
  const headers: Record<string, string> = {};
  if (v1 && settings.username !== undefined) {
    const basic = Buffer.from(`${settings.username}:${settings.password ?? ''}`, 'utf8').toString('base64');
    headers['authorization'] = `Basic ${basic}`;
  }
  const path = (p: string): string => (v1 ? toV1Path(p) : p);
  // Our deadline, unless the caller brought a signal of its own.
  const prepare = (o: SendOptions): { options: SendOptions; timedOut: () => boolean } => {
    const deadline = o.signal ? undefined : AbortSignal.timeout(settings.requestTimeoutMs);
    const signal = o.signal ?? deadline;
    return {
      options: { ...o, headers: { ...headers, ...o.headers }, ...(signal ? { signal } : {}) },
      timedOut: () => deadline?.aborted === true,
    };
  };
  // The deadline surfaces as the client's generic AbortError; report it as what it is.
  const timeout = (): Error => {
    const e = new RequestTimedOutError();
    e.message = `request timed out after ${settings.requestTimeoutMs} ms`;
    return e;
  };
  return {
    chunkCombiner: base.chunkCombiner,
    send(p: string, body: string, o: SendOptions, callbacks?: Partial<CommunicationObserver<Uint8Array>>): void {
      const { options, timedOut } = prepare(o);
      const error = (e: Error): void => callbacks?.error?.(timedOut() ? timeout() : e);
      base.send(path(p), body, options, { ...callbacks, error });
    },
    async request(p: string, body: unknown, o: SendOptions, responseStarted?: ResponseStartedFn): Promise<unknown> {
      const { options, timedOut } = prepare(o);
      try {
        return await base.request(path(p), body, options, responseStarted);
      } catch (e) {
        throw timedOut() ? timeout() : e;
      }
    },
    // Streaming reads have no overall deadline: their length is the caller's business.
    iterate(p: string, body: unknown, o: SendOptions): AsyncIterableIterator<Uint8Array> {
      return base.iterate(path(p), body, { ...o, headers: { ...headers, ...o.headers } });
    },
  };
}
