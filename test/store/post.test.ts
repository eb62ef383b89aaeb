/**
 * The raw line-protocol post (src/store/post.ts), unit-tested against a recording HTTP server on
 * 127.0.0.1 (a fake: the real 1.x server is exercised by test/durability/poison.test.ts and every
 * drain; no 2.x server runs here): the request each API version gets (path, credentials, body
 * byte for byte), and how answers map to the catalogue (classify.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyWriteError, connectInflux } from '../../src/store/index.ts';
import { createLinePoster } from '../../src/store/post.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(answer: (res: ServerResponse) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const BODY = Buffer.from('m,site=é v=1 1\nm,site=b s="a\nb" 2\n', 'utf8');

describe('line poster', () => {
  it('1.x: POST /write with db, rp, precision=ns and Basic credentials; the body as given', async () => {
    const { url, seen } = await serve((res) => res.writeHead(204).end());
    const conn = connectInflux({ url, database: 'my db', retentionPolicy: 'rp1', username: 'u', password: 'p' });
    const poster = createLinePoster(conn);
    await poster.post(BODY);
    poster.destroy();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/write?db=my+db&rp=rp1&precision=ns');
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(seen[0]!.body.equals(BODY)).toBe(true);
  });

  it('2.x/3.x: POST /api/v2/write with org, bucket, precision=ns and the token', async () => {
    const { url, seen } = await serve((res) => res.writeHead(204).end());
    const conn = connectInflux({ url, database: 'db', token: 'tok', org: 'o', bucket: 'b' });
    const poster = createLinePoster(conn);
    await poster.post(BODY);
    poster.destroy();
    expect(seen[0]!.url).toBe('/api/v2/write?org=o&bucket=b&precision=ns');
    expect(seen[0]!.headers.authorization).toBe('Token tok');
    expect(seen[0]!.body.equals(BODY)).toBe(true);
  });

  it('a 400 is a refusal with InfluxDB’s message; a 503 and no answer are retryable; 401 is auth', async () => {
    let status = 400;
    const { url } = await serve((res) =>
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'partial write: field type conflict' })),
    );
    const poster = createLinePoster(connectInflux({ url, database: 'db' }));
    const judged = async () =>
      classifyWriteError(
        await poster.post(BODY).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
    expect(await judged()).toMatchObject({
      code: 'HUB_ERR_INFLUX_WRITE_REJECTED',
      retryable: false,
      message: expect.stringContaining('partial write: field type conflict'),
    });
    status = 503;
    expect(await judged()).toMatchObject({ code: 'HUB_ERR_INFLUX_UNREACHABLE', retryable: true });
    status = 401;
    expect(await judged()).toMatchObject({ code: 'HUB_ERR_INFLUX_AUTH' });
    poster.destroy();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    expect(await judged()).toMatchObject({
      code: 'HUB_ERR_INFLUX_UNREACHABLE',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('a server that never answers: the request ends at requestTimeoutMs, retryable', async () => {
    await serve(() => undefined);
    const { url } = { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}` };
    const poster = createLinePoster(connectInflux({ url, database: 'db', requestTimeoutMs: 200 }));
    const e = await poster.post(BODY).then(
      () => undefined,
      (err: unknown) => err,
    );
    poster.destroy();
    expect(classifyWriteError(e)).toMatchObject({
      code: 'HUB_ERR_INFLUX_UNREACHABLE',
      retryable: true,
      message: expect.stringContaining('timed out after 200 ms'),
    });
  });
});
