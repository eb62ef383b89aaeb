/**
 * A site's household roster (docs/contract.md §1): a CSV file named by the site's `roster:` key,
 * relative to the inventory file, with the header `household,building` and one registered
 * household per line. Read by the inventory loader (load.ts), so reloading the inventory reloads
 * its rosters too.
 *
 * - Household ids follow the household id rule (NFKC, trim, upper-case; src/pseudonym.ts) and are
 *   pseudonymised at once with the hub's key: the raw ids are dropped after loading, and what the
 *   KPIs compare with InfluxDB is pseudonym against pseudonym.
 * - Buildings are ids (`^[a-z0-9][a-z0-9_-]{0,63}$`).
 * - A blank line is skipped; a line that is not exactly two fields, an empty household, a bad
 *   building or a household listed twice (after the rule) is an error naming the file and line.
 *   Fields are not quoted: an id with a comma or a double quote is refused.
 * - The version is the first 12 hex digits of the SHA-256 of the roster's normalised content
 *   (`HOUSEHOLD,building` lines sorted, newline-terminated): a reordered file keeps its version,
 *   any household added, removed or moved gets a new one. Stored with each KPI point.
 */
import { createHash } from 'node:crypto';
import { normaliseHouseholdId, type Pseudonymiser } from '../pseudonym.ts';
import { ID_PATTERN } from './inventory.ts';

/** The expected header line. */
export const ROSTER_HEADER = 'household,building';

/** A loaded roster: pseudonyms only. */
export interface Roster {
  /** The roster file, as the inventory names it (relative to the inventory file). */
  readonly file: string;
  /** Short content hash (12 hex digits), stored as the `roster_version` field of KPI points. */
  readonly version: string;
  /** Pseudonym of each registered household → its building. */
  readonly households: ReadonlyMap<string, string>;
  /** Building → number of registered households, in first-seen order. */
  readonly buildings: ReadonlyMap<string, number>;
}

/** One problem of a roster file: its line (1-based) and what is wrong. */
export interface RosterIssue {
  line: number;
  message: string;
}

/** Parse a roster's text; returns the roster or the issues found (every one, in line order). */
export function parseRoster(
  file: string,
  text: string,
  pseudonymise: Pseudonymiser,
): { roster: Roster; issues: [] } | { roster?: undefined; issues: RosterIssue[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const issues: RosterIssue[] = [];
  const header = lines[0]
    ?.trim()
    .toLowerCase()
    .replace(/\s*,\s*/g, ',');
  if (header !== ROSTER_HEADER) {
    issues.push({ line: 1, message: `the first line must be the header "${ROSTER_HEADER}"` });
    return { issues };
  }
  const firstLine = new Map<string, number>();
  const rows: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const at = i + 1;
    if (line.includes('"')) {
      issues.push({ line: at, message: 'quoted fields are not supported (an id may not hold a double quote)' });
      continue;
    }
    const fields = line.split(',');
    if (fields.length !== 2) {
      issues.push({ line: at, message: `expected 2 fields "household,building", found ${fields.length}` });
      continue;
    }
    const household = normaliseHouseholdId(fields[0]!);
    const building = fields[1]!.trim();
    if (household === '') {
      issues.push({ line: at, message: 'the household id is empty' });
      continue;
    }
    if (!ID_PATTERN.test(building)) {
      issues.push({ line: at, message: `building "${building}" must match ^[a-z0-9][a-z0-9_-]{0,63}$` });
      continue;
    }
    const first = firstLine.get(household);
    if (first !== undefined) {
      // The normalised id is shown: it is what was compared, and the file holds it in some spelling.
      issues.push({ line: at, message: `household "${household}" is listed twice (first on line ${first})` });
      continue;
    }
    firstLine.set(household, at);
    rows.push([household, building]);
  }
  if (issues.length > 0) return { issues };

  const canonical = rows
    .map(([h, b]) => `${h},${b}\n`)
    .sort()
    .join('');
  const version = createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 12);
  const households = new Map<string, string>();
  const buildings = new Map<string, number>();
  for (const [h, b] of rows) {
    households.set(pseudonymise(h), b);
    buildings.set(b, (buildings.get(b) ?? 0) + 1);
  }
  return { roster: Object.freeze({ file, version, households, buildings }), issues: [] };
}
