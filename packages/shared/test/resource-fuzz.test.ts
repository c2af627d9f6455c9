import { describe, expect, it } from 'vitest';
import { parseResource } from '../src/resource/index.js';
import { seededRandom } from '../src/seeded-random.js';

const VALID = [
  'bad.kz', 'Пример.kz', 'BAD.kz.', '*.example.kz', '*.Пример.kz', 'bad.example.kz', '_dmarc.example.kz',
  'http://bad.kz/path?q=1', 'https://Пример.kz/статья#x', 'http://198.51.100.7:8080/a', 'http://[2001:db8::1]/',
  '198.51.100.7', '2001:db8::1', '::ffff:198.51.100.7', '198.51.100.0/24', '2001:db8::/32', '11.0.0.0/8',
];
/** Characters that steer the parser between kinds and through its edge cases. */
const INTERESTING = ['.', '*', ':', '/', '[', ']', '%', '@', '#', '?', '-', '_', '0', '9', 'x', 'n', 'ß', 'қ', 'П', '\u3002', '\uFF0E', '\u200D', ' ', '\t', '\\', 'xn--', '::', '//'];

function randomUnicode(next: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    let cp = Math.floor(next() * 0x110000);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    s += String.fromCodePoint(cp);
  }
  return s;
}

function randomAscii(next: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(next() * 128));
  return s;
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

function mutate(next: () => number, input: string): string {
  const chars = Array.from(input);
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (chars.length + 1));
    const op = next();
    if (op < 0.35) chars.splice(at, 0, pick(next, INTERESTING));
    else if (op < 0.6) chars.splice(at, 1);
    else if (op < 0.8) chars.splice(at, 1, pick(next, INTERESTING));
    else if (op < 0.9) chars.splice(at, 0, ...Array.from(randomUnicode(next, 1)));
    else chars.splice(at, 0, String(Math.floor(next() * 300)));
  }
  return chars.join('');
}

function generate(next: () => number, i: number): string {
  switch (i % 4) {
    case 0: return randomUnicode(next, Math.floor(next() * 40));
    case 1: return randomAscii(next, Math.floor(next() * 40));
    default: return mutate(next, pick(next, VALID));
  }
}

/** How to write a parsed resource so it parses back to the same kind. */
function asInput(kind: string, value: string): string {
  return kind === 'domain_suffix' ? `*.${value}` : value;
}

describe('parseResource on random input', () => {
  it('never throws, always answers, and is idempotent on what it accepts', () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20_240_917);
    const next = seededRandom(seed);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = generate(next, i);
      const context = `seed ${seed}, case ${i}, input ${JSON.stringify(input)}`;
      const result = parseResource(input);
      if (!result.ok) {
        expect(result.reason, context).toMatch(/\S/);
        continue;
      }
      accepted++;
      const { kind, value, display } = result.resource;
      expect(value.trim(), context).toBe(value);

      const again = parseResource(value);
      expect(again.ok && again.resource.value, context).toBe(value);
      const sameKind = parseResource(asInput(kind, value));
      expect(sameKind.ok && sameKind.resource, context).toEqual(result.resource);
      // What people see must lead back to the same rule.
      const fromDisplay = parseResource(display);
      expect(fromDisplay.ok && fromDisplay.resource.value, context).toBe(value);
    }
    // The mutations must exercise the accepting paths too, or the idempotence check proves nothing.
    expect(accepted).toBeGreaterThan(1_500);
  });
});
