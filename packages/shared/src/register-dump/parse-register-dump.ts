import { parseResource } from '../resource/index.js';
import type { ParseResult } from '../resource/index.js';
import { splitCsvLine } from './csv-fields.js';
import { decodeDumpText } from './decode-dump-text.js';
import { parseDumpDate } from './dump-date.js';
import type { DumpError, DumpRow, ParsedRegisterDump } from './dump-types.js';

const FIELD_SEPARATOR = ';';
const FIELD_COUNT = 6;
const UPDATED_LINE = /^updated:\s*/i;
/** IPs and names cannot hold `|`, so any `|` separates them; a URL may, so only ` | ` does. */
const LIST_SEPARATOR = /\s*\|\s*/;
const URL_LIST_SEPARATOR = ' | ';

function listItems(field: string, separator: RegExp | string): string[] {
  return field.split(separator).map((item) => item.trim()).filter((item) => item !== '');
}

/** How a parsed resource is written so that parseResource gives it back unchanged. */
function canonicalInput(result: ParseResult & { ok: true }): string {
  const { kind, value } = result.resource;
  return kind === 'domain_suffix' ? `*.${value}` : value;
}

/**
 * Reads a register dump in the common `IP;domain;URL;authority;decision number;date` shape
 * (DESIGN.md, bulk import). Never throws: every line it cannot use, and every resource on a
 * line that parseResource refuses, is reported with its 1-based line number, and the rest of
 * the file is still read. Linear in the size of the dump.
 */
export function parseRegisterDump(bytes: Uint8Array): ParsedRegisterDump {
  const { text, encoding } = decodeDumpText(bytes);
  const rows: DumpRow[] = [];
  const errors: DumpError[] = [];
  let updated: string | null = null;
  // Dumps repeat the same IPs and hosts on many lines; each distinct text is parsed once.
  const parsed = new Map<string, ParseResult>();
  const parseCached = (raw: string): ParseResult => {
    let result = parsed.get(raw);
    if (!result) {
      result = parseResource(raw);
      parsed.set(raw, result);
    }
    return result;
  };

  let lineNumber = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    lineNumber++;
    if (line.endsWith('\r')) line = line.slice(0, -1);

    if (lineNumber === 1 && UPDATED_LINE.test(line)) {
      updated = line.replace(UPDATED_LINE, '').trim();
      continue;
    }
    if (line.trim() === '') continue;

    const split = splitCsvLine(line, FIELD_SEPARATOR);
    if (!split.ok) {
      errors.push({ line: lineNumber, reason: `The line cannot be read: ${split.reason}.` });
      continue;
    }
    if (split.fields.length !== FIELD_COUNT) {
      errors.push({
        line: lineNumber,
        reason: `Expected ${FIELD_COUNT} fields (IP;domain;URL;authority;decision number;date), found ${split.fields.length}.`,
      });
      continue;
    }
    const [ipField = '', domainField = '', urlField = '', authorityField = '', numberField = '', dateField = ''] = split.fields;
    const authority = authorityField.trim();
    const documentNumber = numberField.trim();
    // Without them there is no legal basis to record the decision on.
    if (authority === '') {
      errors.push({ line: lineNumber, reason: 'The authority field is empty.' });
      continue;
    }
    if (documentNumber === '') {
      errors.push({ line: lineNumber, reason: 'The decision number field is empty.' });
      continue;
    }
    const date = parseDumpDate(dateField);
    if (date === undefined) {
      errors.push({ line: lineNumber, reason: `The date \`${dateField.trim().slice(0, 40)}\` is not a date like 2013-11-05 or 05.11.2013.` });
      continue;
    }

    const raws = [...listItems(ipField, LIST_SEPARATOR), ...listItems(domainField, LIST_SEPARATOR), ...listItems(urlField, URL_LIST_SEPARATOR)];
    if (raws.length === 0) {
      errors.push({ line: lineNumber, reason: 'The line names nothing to restrict: the IP, domain and URL fields are all empty.' });
      continue;
    }
    const resources = new Set<string>();
    for (const raw of raws) {
      const result = parseCached(raw);
      if (!result.ok) {
        errors.push({ line: lineNumber, reason: result.reason });
        continue;
      }
      resources.add(canonicalInput(result));
    }
    // Every resource was refused and reported above; a row with nothing left has nothing to import.
    if (resources.size > 0) rows.push({ line: lineNumber, resources: [...resources], authority, documentNumber, date });
  }
  return { updated, encoding, rows, errors };
}
