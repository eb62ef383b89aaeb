/**
 * One write request of ready line-protocol bytes, straight over HTTP: the hot path's way to
 * InfluxDB. The official client's transport takes a string body and its write API takes lines or
 * points; the spool already holds the bytes (record.ts), so they are posted as they are, with the
 * same settings as every other store request (transport.ts): 1.x `/write?db=&rp=&precision=ns`
 * with HTTP Basic credentials, 2.x/3.x `/api/v2/write` with `Authorization: Token`, one overall
 * deadline of `requestTimeoutMs`, and failures as the client's `HttpError` so that classify.ts
 * judges them as it judges the client's.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { HttpError, RequestTimedOutError } from '@influxdata/influxdb-client';
import type { InfluxConnection } from './connection.ts';

/** Posts bodies of line protocol. */
export interface LinePoster {
  /** One request; resolves on 2xx, rejects with what classify.ts reads. */
  post(body: Buffer): Promise<void>;
  /** Closes its sockets: call once no request is in flight. */
  destroy(): void;
}

/** A poster for `conn`, with a keep-alive agent of its own (one per writer). */
export function createLinePoster(conn: InfluxConnection): LinePoster {
  const s = conn.settings;
  const url = new URL(s.url);
  const secure = url.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  let path: string;
  if (conn.version === 1) {
    const q = new URLSearchParams({ db: s.database });
    if (s.retentionPolicy) q.set('rp', s.retentionPolicy);
    q.set('precision', 'ns');
    path = `/write?${q.toString()}`;
    if (s.username !== undefined)
      headers['authorization'] = `Basic ${Buffer.from(`${s.username}:${s.password ?? ''}`).toString('base64')}`;
  } else {
    const { org, bucket } = conn.writeTarget;
    path = `/api/v2/write?${new URLSearchParams({ org, bucket, precision: 'ns' }).toString()}`;
    headers['authorization'] = `Token ${s.token ?? ''}`;
  }
  const base = url.pathname.replace(/\/+$/, '');
  const send = secure ? https.request : http.request;

  const post = (body: Buffer): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const signal = AbortSignal.timeout(s.requestTimeoutMs);
      const req = send(
        url,
        {
          method: 'POST',
          path: `${base}${path}`,
          agent,
          signal,
          headers: { ...headers, 'content-length': String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve();
            const text = Buffer.concat(chunks).toString('utf8');
            const header = (h: string): string | undefined => {
              const v = res.headers[h];
              return Array.isArray(v) ? v[0] : v;
            };
            reject(
              new HttpError(
                status,
                res.statusMessage,
                text,
                header('retry-after'),
                header('content-type'),
                undefined,
                res.headers,
              ),
            );
          });
        },
      );
      function fail(e: Error): void {
        if (signal.aborted) {
          const t = new RequestTimedOutError();
          t.message = `request timed out after ${s.requestTimeoutMs} ms`;
          reject(t);
        } else reject(e);
      }
      req.on('error', fail);
      req.end(body);
    });
  return { post, destroy: () => agent.destroy() };
}
