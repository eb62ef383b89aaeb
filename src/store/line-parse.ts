/**
 * Line protocol back to hub points, for what must look inside spooled bytes without InfluxDB: the
 * in-memory writer (memory-writer.ts, which keeps InfluxDB's rules for unit tests) and tools that
 * inspect a spool. Never on the hot path: the drainer posts the bytes as they are.
 * Reads what line.ts writes (and the client writes): escapes per the line protocol reference,
 * fields as floats, `i` integers, booleans and quoted strings.
 */
import { HubError } from '../errors.ts';
import type { FieldValue, Point } from '../point.ts';

// As InfluxDB reads names and tag values: a backslash escapes a comma, space or equals sign and
// is otherwise itself (the client's `\n` for a newline is stored as backslash and `n`).
const ESCAPABLE = ', =';

function bad(line: string, why: string): HubError {
  return new HubError('HUB_ERR_INFLUX_WRITE_REJECTED', `unable to parse '${line}': ${why}`, { retryable: false });
}

/** Reads up to the first unescaped character of `stops` from `at`; returns the text and where it stopped. */
function token(line: string, at: number, stops: string): [string, number] {
  let out = '';
  let i = at;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && ESCAPABLE.includes(line[i + 1] ?? 'x')) {
      out += line[++i];
      continue;
    }
    if (stops.includes(c)) break;
    out += c;
  }
  return [out, i];
}

function fieldValue(line: string, at: number): [FieldValue, number] {
  if (line[at] === '"') {
    let out = '';
    let i = at + 1;
    for (; i < line.length && line[i] !== '"'; i++) {
      if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
      out += line[i];
    }
    if (i >= line.length) throw bad(line, 'unterminated string');
    return [out, i + 1];
  }
  const [raw, end] = token(line, at, ', ');
  if (/^(t|T|true|True|TRUE)$/.test(raw)) return [true, end];
  if (/^(f|F|false|False|FALSE)$/.test(raw)) return [false, end];
  const n = Number(/^-?\d+[iu]$/.test(raw) ? raw.slice(0, -1) : raw);
  if (raw === '' || !Number.isFinite(n)) throw bad(line, `invalid field value "${raw}"`);
  return [n, end];
}

/** One line (no newline) as a point. */
export function parseLine(line: string): Point {
  const [measurement, m] = token(line, 0, ', ');
  if (measurement === '') throw bad(line, 'missing measurement');
  const tags: Record<string, string> = {};
  let i = m;
  while (line[i] === ',') {
    const [key, k] = token(line, i + 1, '=, ');
    if (line[k] !== '=') throw bad(line, `tag "${key}" has no value`);
    const [value, v] = token(line, k + 1, ', ');
    tags[key] = value;
    i = v;
  }
  if (line[i] !== ' ') throw bad(line, 'missing fields');
  const fields: Record<string, FieldValue> = {};
  do {
    const [key, k] = token(line, i + 1, '=, ');
    if (line[k] !== '=') throw bad(line, `field "${key}" has no value`);
    const [value, v] = fieldValue(line, k + 1);
    fields[key] = value;
    i = v;
  } while (line[i] === ',');
  const time = line[i] === ' ' ? line.slice(i + 1) : '';
  if (!/^-?\d{1,19}$/.test(time)) throw bad(line, `time "${time}" is not nanoseconds`);
  return { measurement, tags, fields, time };
}

/**
 * The lines of `text`: split at newlines, except inside a quoted string field value, where line
 * protocol allows them.
 */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  let spaces = 0; // unescaped spaces outside quotes: 1 after the series key, 2 after the fields
  let quoted = false;
  let afterEquals = false; // a quote opens a string value only right after a field's `=`
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const equals = afterEquals;
    afterEquals = false;
    if (c === '\\') i++;
    else if (quoted) quoted = c !== '"';
    else if (c === '"' && spaces === 1 && equals) quoted = true;
    else if (c === '=') afterEquals = true;
    else if (c === ' ') spaces++;
    else if (c === '\n') {
      if (i > start) lines.push(text.slice(start, i));
      start = i + 1;
      spaces = 0;
    }
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** Every line of `bytes` (lines end in `\n`; empty lines are skipped) as points. */
export function parseLines(bytes: Buffer | string): Point[] {
  return splitLines(typeof bytes === 'string' ? bytes : bytes.toString('utf8')).map(parseLine);
}
