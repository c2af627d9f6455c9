import { describe, expect, it } from 'vitest';
import { parseResource } from '../src/resource/index.js';
import { groupDumpRows, parseRegisterDump } from '../src/register-dump/index.js';
import { generateDump } from './register-dump-fixture.js';
import { seededRandom } from '../src/seeded-random.js';

/** Bytes that steer the dump parser: separators, quotes, line ends, a cp1251 letter, UTF-8 lead bytes. */
const INTERESTING = [0x3b, 0x22, 0x0a, 0x0d, 0x7c, 0x20, 0x2e, 0x2f, 0x3a, 0x2a, 0x2d, 0x30, 0xc3, 0xd0, 0xe2, 0x80, 0xff, 0x00];

function randomBytes(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

function mutate(next: () => number, source: Uint8Array): Uint8Array {
  const bytes = Array.from(source);
  const edits = 1 + Math.floor(next() * 20);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (bytes.length + 1));
    const byte = next() < 0.7 ? (INTERESTING[Math.floor(next() * INTERESTING.length)] ?? 0) : Math.floor(next() * 256);
    const op = next();
    if (op < 0.4) bytes.splice(at, 0, byte);
    else if (op < 0.7) bytes.splice(at, 1);
    else bytes[at] = byte;
  }
  return Uint8Array.from(bytes);
}

describe('parseRegisterDump on random bytes', () => {
  it('never throws and gives a consistent report', () => {
    const seed = Number(process.env.FUZZ_SEED ?? 7_340_021);
    const next = seededRandom(seed);
    const samples = [generateDump(40, 'utf-8').bytes, generateDump(40, 'windows-1251').bytes];
    // Collected rather than asserted one by one: thousands of expect calls would dominate the run.
    const problems: string[] = [];
    for (let i = 0; i < 1_500; i++) {
      const bytes = i % 3 === 0 ? randomBytes(next, Math.floor(next() * 3000)) : mutate(next, samples[i % 2]!);
      const context = `seed ${seed}, case ${i}`;
      const result = parseRegisterDump(bytes);
      // Upper bound on lines: line feeds + 1.
      const maxLine = bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 1);
      for (const error of result.errors) {
        if (error.line < 1 || error.line > maxLine || !/\S/.test(error.reason)) problems.push(`${context}: bad error ${JSON.stringify(error)}`);
      }
      for (const row of result.rows) {
        if (row.resources.length === 0 || !/^\d{4}-\d{2}-\d{2}$/.test(row.date)) problems.push(`${context}: bad row ${JSON.stringify(row)}`);
        for (const resource of row.resources) {
          if (!parseResource(resource).ok) problems.push(`${context}: ${resource} does not parse back`);
        }
      }
      const grouped = groupDumpRows(result.rows).reduce((n, g) => n + g.lines.length, 0);
      if (grouped !== result.rows.length) problems.push(`${context}: groups hold ${grouped} lines for ${result.rows.length} rows`);
    }
    expect(problems).toEqual([]);
  });
});
