import { describe, expect, it } from 'vitest';
import { groupDumpRows, parseRegisterDump } from '../src/register-dump/index.js';
import { UPDATED, generateDump } from './register-dump-fixture.js';

const ROWS = 30_000;

// Speed is not asserted here (tests are not benchmarks); 30,000 rows keep the quadratic
// mistakes visible as a slow test run.
describe.each(['windows-1251', 'utf-8'] as const)(`a generated dump of ${ROWS} rows in %s`, (encoding) => {
  const dump = generateDump(ROWS, encoding);
  const result = parseRegisterDump(dump.bytes);

  it('detects the encoding and reads the Updated line', () => {
    expect(result.encoding).toBe(encoding);
    expect(result.updated).toBe(UPDATED);
  });

  it('keeps exactly the good rows, with Cyrillic authorities decoded and resources normalised', () => {
    expect(result.rows).toHaveLength(dump.expectedRows.length);
    expect(result.rows).toEqual(dump.expectedRows);
    expect(result.rows.some((r) => r.authority === 'Генпрокуратура')).toBe(true);
    expect(result.rows.some((r) => r.resources.some((x) => x.endsWith('.xn--p1ai')))).toBe(true);
  });

  it('names the exact line of every bad row and refused resource', () => {
    expect(result.errors.map((e) => e.line)).toEqual(dump.expectedErrors.map((e) => e.line));
    result.errors.forEach((error, i) => {
      expect(error.reason).toMatch(dump.expectedErrors[i]!.reason);
    });
    // Spot checks against the generator's layout: row i is on line i + 2.
    expect(result.errors.slice(0, 5).map((e) => e.line)).toEqual([15, 323, 502, 779, 1001]);
  });

  it('groups rows by authority, number and date, deduplicating resources', () => {
    const groups = groupDumpRows(result.rows);
    expect(groups).toHaveLength(dump.expectedGroupLines.size);
    const byNumber = new Map(groups.map((g) => [g.documentNumber, g]));
    for (const [group, lines] of dump.expectedGroupLines) {
      const found = byNumber.get(`№ 27-31-2013/Ид${group}`);
      expect(found?.lines).toEqual(lines);
      expect(new Set(found?.resources).size).toBe(found?.resources.length);
    }
    // Group 0 is rows 0–6 (lines 2–8); rows 0, 3, 5 and 6 carry the shared 203.0.113.0 once.
    const first = byNumber.get('№ 27-31-2013/Ид0');
    expect(first).toMatchObject({ authority: 'Генпрокуратура', date: '2013-01-01', lines: [2, 3, 4, 5, 6, 7, 8] });
    expect(first?.resources.filter((r) => r === '203.0.113.0')).toHaveLength(1);
    expect(first?.resources).toContain('*.site3.example.kz');
  });
});
