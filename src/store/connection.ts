/**
 * One InfluxDB server as the store sees it: settings, the official client on the store's
 * transport, and where writes go. Creating one opens no socket.
 */
import { InfluxDB, type Transport } from '@influxdata/influxdb-client';
import { influxApiVersion, resolveInfluxSettings, type InfluxSettings } from './settings.ts';
import { createTransport, v1Bucket } from './transport.ts';

/** A configured (not yet contacted) InfluxDB server. */
export interface InfluxConnection {
  readonly settings: Readonly<InfluxSettings>;
  /** 1 for 1.x (database, user/password), 2 for 2.x and 3.x (token, org, bucket). */
  readonly version: 1 | 2;
  /** The official client, bound to {@link transport}. */
  readonly client: InfluxDB;
  /** The transport of every request (see transport.ts). */
  readonly transport: Transport;
  /** Where 2.x/3.x writes go (post.ts); on 1.x the bucket is `db/rp`. */
  readonly writeTarget: Readonly<{ org: string; bucket: string }>;
}

/** Builds a connection; `settings` are resolved (defaults merged, checked, frozen) first. */
export function connectInflux(settings: Partial<InfluxSettings>): InfluxConnection {
  const s = resolveInfluxSettings(settings);
  const version = influxApiVersion(s);
  const transport = createTransport(s);
  const writeTarget =
    version === 1
      ? { org: '', bucket: v1Bucket(s.database, s.retentionPolicy) }
      : { org: s.org ?? '', bucket: s.bucket ?? s.database };
  return Object.freeze({
    settings: s,
    version,
    transport,
    client: new InfluxDB({ url: s.url, transport }),
    writeTarget: Object.freeze(writeTarget),
  });
}
