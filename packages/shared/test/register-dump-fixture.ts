import { encodeCp1251 } from '../src/register-dump/cp1251.js';

/** A generated dump together with what a correct parser must make of it. */
export interface GeneratedDump {
  bytes: Uint8Array;
  rowCount: number;
  expectedRows: { line: number; resources: string[]; authority: string; documentNumber: string; date: string }[];
  expectedErrors: { line: number; reason: RegExp }[];
  /** Group index → the lines that belong to it, for rows the parser keeps. */
  expectedGroupLines: Map<number, number[]>;
}

export const AUTHORITIES = ['Генпрокуратура', 'Роскомнадзор', 'суд', 'Мосгорсуд', 'ФНС России'];
export const UPDATED = '2024-05-01 10:00:00 +0000';
const ROWS_PER_GROUP = 7;

function isoDate(group: number): string {
  const d = new Date(Date.UTC(2013, 0, 1) + (group % 3000) * 86_400_000);
  return d.toISOString().slice(0, 10);
}

function dotted(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

/** Row i; its line is i + 2 (line 1 is `Updated:`). Every 1000 rows hold a fixed set of bad ones. */
export function generateDump(rowCount: number, encoding: 'utf-8' | 'windows-1251'): GeneratedDump {
  const lines = [`Updated: ${UPDATED}`];
  const expectedRows: GeneratedDump['expectedRows'] = [];
  const expectedErrors: GeneratedDump['expectedErrors'] = [];
  const expectedGroupLines = new Map<number, number[]>();

  for (let i = 0; i < rowCount; i++) {
    const line = i + 2;
    const group = Math.floor(i / ROWS_PER_GROUP);
    const authority = AUTHORITIES[group % AUTHORITIES.length] ?? '';
    const documentNumber = `№ 27-31-2013/Ид${group}`;
    const date = isoDate(group);
    // Rows of one group write the same date both ways: they must still land in one group.
    const dateText = i % 2 === 0 ? date : dotted(date);
    const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
    // Shared by the whole group, to check deduplication across rows.
    const groupIp = `203.0.113.${group % 256}`;
    const cyrillic = i % 10 === 0;
    const domainInput = cyrillic ? `Сайт${i}.рф` : `site${i}.Example.kz`;
    const domainValue = cyrillic ? new URL(`http://сайт${i}.рф`).hostname : `site${i}.example.kz`;
    const url = `http://site${i}.example.kz/page/${i}`;
    const kind = i % 1000;

    let fields: string[];
    let resources: string[];
    let error: RegExp | undefined;
    let keep = true;
    if (kind === 13) {
      fields = [ip, domainInput, url, authority, documentNumber];
      error = /^Expected 6 fields .*found 5\.$/;
      keep = false;
    } else if (kind === 321) {
      fields = [ip, `"${domainInput}`, url, authority, documentNumber, dateText];
      error = /quoted field is not closed/;
      keep = false;
    } else if (kind === 500) {
      fields = [ip, domainInput, url, authority, documentNumber, '2013-02-30'];
      error = /date `2013-02-30`/;
      keep = false;
    } else if (kind === 777) {
      fields = ['', '', '', authority, documentNumber, dateText];
      error = /nothing to restrict/;
      keep = false;
    } else if (kind === 999) {
      // One refused resource costs that resource, not the row.
      fields = [`10.0.0.1 | ${ip}`, domainInput, url, authority, documentNumber, dateText];
      error = /`10\.0\.0\.1` is in 10\.0\.0\.0\/8/;
      resources = [ip, domainValue, url];
    } else if (i % 5 === 0) {
      fields = [`${ip} | ${groupIp}`, domainInput, `"${url} | ${url}?a=""b"""`, authority, documentNumber, dateText];
      resources = [ip, groupIp, domainValue, url, `${url}?a=%22b%22`];
    } else if (i % 3 === 0) {
      fields = [groupIp, `*.${domainInput}`, '', `"${authority}"`, documentNumber, dateText];
      resources = [groupIp, `*.${domainValue}`];
    } else {
      fields = [ip, domainInput, url, authority, documentNumber, dateText];
      resources = [ip, domainValue, url];
    }
    lines.push(fields.join(';'));
    if (error) expectedErrors.push({ line, reason: error });
    if (keep) {
      expectedRows.push({ line, resources: resources!, authority, documentNumber, date });
      const groupLines = expectedGroupLines.get(group) ?? [];
      groupLines.push(line);
      expectedGroupLines.set(group, groupLines);
    }
  }
  // Windows tools write CRLF, and a blank line at the end is common.
  const text = `${lines.join('\r\n')}\r\n\r\n`;
  const bytes = encoding === 'utf-8' ? new TextEncoder().encode(text) : encodeCp1251(text);
  return { bytes, rowCount, expectedRows, expectedErrors, expectedGroupLines };
}
