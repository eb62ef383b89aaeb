/**
 * Creates the 1.x database and retention policy the hub writes to (docs/contract.md §4:
 * database `community` by default, retention configurable).
 */
import { query } from './query.ts';
import type { InfluxConnection } from './connection.ts';

/** InfluxQL identifier, double-quoted with `"` and `\` escaped (InfluxQL spec, "Identifiers"). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

// These statements name their database themselves: send no `db`/`rp` (the database may not exist).
const SERVER_WIDE = { database: '', retentionPolicy: '' } as const;

/** What {@link ensureDatabase} did. */
export interface EnsureResult {
  databaseCreated: boolean;
  retentionPolicyCreated: boolean;
}

/**
 * On 1.x, creates the database when absent and, when the settings name one, its retention policy
 * when absent, both with the settings' `retention` duration. An existing database or policy is
 * left exactly as it is (its duration and default policy are the operator's).
 * A database created here gets the named policy as its default (`CREATE DATABASE … WITH … NAME`),
 * so InfluxQL without `rp` (Grafana) sees the hub's data; one added to an existing database is not
 * made the default. Needs admin rights when authentication is enabled.
 * On 2.x/3.x it does nothing: buckets are created by their administrator.
 * Statements: docs.influxdata.com/influxdb/v1.6/query_language/database_management/.
 * @throws HubError as {@link query} does.
 */
export async function ensureDatabase(conn: InfluxConnection): Promise<EnsureResult> {
  const result: EnsureResult = { databaseCreated: false, retentionPolicyCreated: false };
  if (conn.version !== 1) return result;
  const { database, retentionPolicy, retention } = conn.settings;
  // The duration was checked against the InfluxQL duration syntax in resolveInfluxSettings.
  const duration = retention === '0s' ? 'INF' : retention;
  const db = quoteIdent(database);

  const databases = await query<{ name: string }>(conn, 'SHOW DATABASES', SERVER_WIDE);
  if (!databases.some((row) => row.values.name === database)) {
    const name = retentionPolicy ? ` NAME ${quoteIdent(retentionPolicy)}` : '';
    await query(conn, `CREATE DATABASE ${db} WITH DURATION ${duration}${name}`, SERVER_WIDE);
    result.databaseCreated = true;
    result.retentionPolicyCreated = retentionPolicy !== undefined && retentionPolicy !== '';
    return result;
  }
  if (!retentionPolicy) return result;
  const policies = await query<{ name: string }>(conn, `SHOW RETENTION POLICIES ON ${db}`, SERVER_WIDE);
  if (!policies.some((row) => row.values.name === retentionPolicy)) {
    const rp = quoteIdent(retentionPolicy);
    await query(conn, `CREATE RETENTION POLICY ${rp} ON ${db} DURATION ${duration} REPLICATION 1`, SERVER_WIDE);
    result.retentionPolicyCreated = true;
  }
  return result;
}
