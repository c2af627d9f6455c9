import { describe, expect, it } from 'vitest';
import { hostToDisplay, normaliseHost } from '../src/resource/index.js';

describe('normaliseHost', () => {
  it.each([
    ['bad.kz', 'bad.kz'],
    ['BAD.KZ.', 'bad.kz'],
    ['Пример.kz', 'xn--e1afmkfd.kz'],
    ['xn--E1AFMKFD.kz', 'xn--e1afmkfd.kz'],
    // Syntax only: whether a name may be restricted is parseResource's business.
    ['localhost', 'localhost'],
    ['kz', 'kz'],
    ['_sip._tcp.example.kz', '_sip._tcp.example.kz'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseHost(input)).toBe(expected);
  });

  it.each(['', '.', 'a..b', 'bad kz', 'ex%41.kz', '1.2.3.4', '010.1.1.1', 'xn--zz.kz', 'bad.kz/x', 'a'.repeat(64) + '.kz', '*.bad.kz'])(
    '%j is not a host',
    (input) => {
      expect(normaliseHost(input)).toBeUndefined();
    },
  );
});

describe('hostToDisplay', () => {
  it('gives the Unicode form and leaves ASCII names alone', () => {
    expect(hostToDisplay('xn--e1afmkfd.kz')).toBe('пример.kz');
    expect(hostToDisplay('bad.example.kz')).toBe('bad.example.kz');
  });
});
