import { describe, expect, it } from 'vitest';
import { decodeCp1251, encodeCp1251 } from '../src/register-dump/cp1251.js';
import { groupDumpRows, parseRegisterDump } from '../src/register-dump/index.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('windows-1251 table', () => {
  it('agrees with the platform decoder on every byte', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeCp1251(all)).toBe(new TextDecoder('windows-1251').decode(all));
  });

  it('decodes Cyrillic authority names', () => {
    const bytes = Uint8Array.from([0xc3, 0xe5, 0xed, 0xef, 0xf0, 0xee, 0xea, 0xf3, 0xf0, 0xe0, 0xf2, 0xf3, 0xf0, 0xe0]);
    expect(decodeCp1251(bytes)).toBe('Генпрокуратура');
    expect(encodeCp1251('Генпрокуратура')).toEqual(bytes);
  });
});

describe('parseRegisterDump', () => {
  it('reads a small dump line by line', () => {
    const dump = [
      'Updated: 2013-11-05 12:00:00 +0400',
      '198.51.100.1 | 198.51.100.2;bad.kz;http://bad.kz/page | https://bad.kz/other;Генпрокуратура;27-31-2013/Ид2971-13;2013-11-05',
      ';*.Пример.kz;;"Роскомнадзор";"№ ""7"" от";05.11.2013',
      '',
      '2001:db8::1;;;суд;2-123/2013;2013-11-06',
    ].join('\n');
    const result = parseRegisterDump(utf8(dump));
    expect(result.updated).toBe('2013-11-05 12:00:00 +0400');
    expect(result.errors).toEqual([]);
    expect(result.rows).toEqual([
      {
        line: 2,
        resources: ['198.51.100.1', '198.51.100.2', 'bad.kz', 'http://bad.kz/page', 'https://bad.kz/other'],
        authority: 'Генпрокуратура',
        documentNumber: '27-31-2013/Ид2971-13',
        date: '2013-11-05',
      },
      { line: 3, resources: ['*.xn--e1afmkfd.kz'], authority: 'Роскомнадзор', documentNumber: '№ "7" от', date: '2013-11-05' },
      { line: 5, resources: ['2001:db8::1'], authority: 'суд', documentNumber: '2-123/2013', date: '2013-11-06' },
    ]);
  });

  it('has no Updated line when the first line is data, and counts lines from it', () => {
    const result = parseRegisterDump(utf8('198.51.100.1;;;суд;1;2013-11-05\n'));
    expect(result.updated).toBeNull();
    expect(result.rows.map((r) => r.line)).toEqual([1]);
  });

  it('accepts a byte-order mark and CRLF', () => {
    const result = parseRegisterDump(utf8('\uFEFFUpdated: x\r\n198.51.100.1;;;суд;1;2013-11-05\r\n'));
    expect(result.updated).toBe('x');
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]?.date).toBe('2013-11-05');
  });

  it('reports each bad row with its line and carries on', () => {
    const dump = [
      'Updated: now',
      'bad.kz;суд;1;2013-11-05',
      '198.51.100.1;;;суд;1;2013-13-01',
      '198.51.100.1;;;суд;1;5.11.2013',
      ';;;суд;1;2013-11-05',
      '198.51.100.1;;;;1;2013-11-05',
      '198.51.100.1;;;суд;;2013-11-05',
      '198.51.100.1;"bad.kz" x;;суд;1;2013-11-05',
      '198.51.100.1;"bad.kz;;суд;1;2013-11-05',
      '127.0.0.1 | 198.51.100.9;*.kz;http://bad.kz/ok;суд;1;2013-11-05',
      '10.0.0.1;localhost;;суд;1;2013-11-05',
      'good.kz;;;суд;1;2013-11-05;extra',
    ].join('\n');
    const result = parseRegisterDump(utf8(dump));
    expect(result.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 11, 11, 12]);
    expect(result.errors[0]?.reason).toMatch(/found 4/);
    expect(result.errors[1]?.reason).toMatch(/date `2013-13-01`/);
    expect(result.errors[3]?.reason).toMatch(/nothing to restrict/);
    expect(result.errors[4]?.reason).toMatch(/authority/);
    expect(result.errors[5]?.reason).toMatch(/decision number/);
    expect(result.errors[6]?.reason).toMatch(/closing quote/);
    expect(result.errors[7]?.reason).toMatch(/not closed/);
    expect(result.errors[8]?.reason).toMatch(/loopback/);
    expect(result.errors[9]?.reason).toMatch(/public suffix/);
    expect(result.errors[12]?.reason).toMatch(/Expected 6 fields .*found 7/);
    // Line 10 keeps what was valid; line 11 had nothing valid left and is not a row.
    expect(result.rows).toEqual([{ line: 10, resources: ['198.51.100.9', 'http://bad.kz/ok'], authority: 'суд', documentNumber: '1', date: '2013-11-05' }]);
  });

  it('falls back to windows-1251 when the bytes are not UTF-8', () => {
    const bytes = encodeCp1251('198.51.100.1;;;Роскомнадзор;№ 1;05.11.2013');
    const result = parseRegisterDump(bytes);
    expect(result.encoding).toBe('windows-1251');
    expect(result.rows[0]).toMatchObject({ authority: 'Роскомнадзор', documentNumber: '№ 1', date: '2013-11-05' });
  });

  it('splits URL lists only at " | ", since a URL may hold a bare |', () => {
    const result = parseRegisterDump(utf8(';;http://bad.kz/a|b | http://bad.kz/c;суд;1;2013-11-05'));
    expect(result.rows[0]?.resources).toEqual(['http://bad.kz/a|b', 'http://bad.kz/c']);
  });
});

describe('groupDumpRows', () => {
  it('groups by authority, number and date, in first-seen order, deduplicating resources', () => {
    const row = (line: number, resources: string[], authority: string, documentNumber: string, date: string) => ({ line, resources, authority, documentNumber, date });
    const groups = groupDumpRows([
      row(2, ['a.kz', '198.51.100.1'], 'суд', '1', '2013-11-05'),
      row(3, ['b.kz'], 'суд', '1', '2013-11-06'),
      row(4, ['198.51.100.1', 'c.kz'], 'суд', '1', '2013-11-05'),
      row(5, ['a.kz'], 'Роскомнадзор', '1', '2013-11-05'),
    ]);
    expect(groups).toEqual([
      { authority: 'суд', documentNumber: '1', date: '2013-11-05', lines: [2, 4], resources: ['a.kz', '198.51.100.1', 'c.kz'] },
      { authority: 'суд', documentNumber: '1', date: '2013-11-06', lines: [3], resources: ['b.kz'] },
      { authority: 'Роскомнадзор', documentNumber: '1', date: '2013-11-05', lines: [5], resources: ['a.kz'] },
    ]);
  });
});
