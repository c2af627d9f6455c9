import { describe, expect, it } from 'vitest';
import { parseResource, type ParsedResource } from '../src/resource/index.js';

function parsed(input: string): ParsedResource {
  const result = parseResource(input);
  if (!result.ok) throw new Error(`expected ${input} to parse, got: ${result.reason}`);
  return result.resource;
}

describe('domain', () => {
  it.each([
    ['bad.kz', 'bad.kz', 'bad.kz'],
    ['BAD.kz.', 'bad.kz', 'bad.kz'],
    ['  bad.kz  ', 'bad.kz', 'bad.kz'],
    ['bad.example.kz', 'bad.example.kz', 'bad.example.kz'],
    ['Пример.kz', 'xn--e1afmkfd.kz', 'пример.kz'],
    ['ПРИМЕР.ҚАЗ', 'xn--e1afmkfd.xn--80ao21a', 'пример.қаз'],
    ['XN--E1AFMKFD.kz', 'xn--e1afmkfd.kz', 'пример.kz'],
    ['bad.Пример.kz.', 'bad.xn--e1afmkfd.kz', 'bad.пример.kz'],
    ['_dmarc.example.kz', '_dmarc.example.kz', '_dmarc.example.kz'],
    ['odd-name.blogspot.com', 'odd-name.blogspot.com', 'odd-name.blogspot.com'],
    ['example.zzzz', 'example.zzzz', 'example.zzzz'],
  ])('%s → %s', (input, value, display) => {
    expect(parsed(input)).toEqual({ kind: 'domain', value, display, host: value });
  });

  it('takes a name of exactly 253 characters and labels of 63', () => {
    const label = 'a'.repeat(63);
    const name = `${label}.${label}.${label}.${'b'.repeat(58)}.kz`;
    expect(name).toHaveLength(253);
    expect(parsed(name).value).toBe(name);
  });
});

describe('domain_suffix', () => {
  it.each([
    ['*.example.kz', 'example.kz', '*.example.kz'],
    ['*.Пример.kz', 'xn--e1afmkfd.kz', '*.пример.kz'],
    ['*.Bad.Example.KZ.', 'bad.example.kz', '*.bad.example.kz'],
    ['*.example.co.uk', 'example.co.uk', '*.example.co.uk'],
    // Private section of the public suffix list: a platform, restrictable by a decision.
    ['*.github.io', 'github.io', '*.github.io'],
  ])('%s → %s', (input, value, display) => {
    expect(parsed(input)).toEqual({ kind: 'domain_suffix', value, display, host: value });
  });
});

describe('url', () => {
  it.each([
    ['http://bad.kz', 'http://bad.kz/', 'http://bad.kz/', 'bad.kz'],
    ['HTTPS://BAD.kz/Path?Q=1#frag', 'https://bad.kz/Path?Q=1', 'https://bad.kz/Path?Q=1', 'bad.kz'],
    ['http://bad.kz:80/a', 'http://bad.kz/a', 'http://bad.kz/a', 'bad.kz'],
    ['https://bad.kz:443/a', 'https://bad.kz/a', 'https://bad.kz/a', 'bad.kz'],
    ['https://bad.kz:8443/a', 'https://bad.kz:8443/a', 'https://bad.kz:8443/a', 'bad.kz'],
    ['http://bad.kz./a/b/../c', 'http://bad.kz/a/c', 'http://bad.kz/a/c', 'bad.kz'],
    ['https://Пример.kz/статья', 'https://xn--e1afmkfd.kz/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F', 'https://пример.kz/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F', 'xn--e1afmkfd.kz'],
    ['https://bad.kz/a b', 'https://bad.kz/a%20b', 'https://bad.kz/a%20b', 'bad.kz'],
    ['http://198.51.100.7/x', 'http://198.51.100.7/x', 'http://198.51.100.7/x', '198.51.100.7'],
    ['http://[2001:DB8::1]:8080/x', 'http://[2001:db8::1]:8080/x', 'http://[2001:db8::1]:8080/x', '2001:db8::1'],
  ])('%s → %s', (input, value, display, host) => {
    expect(parsed(input)).toEqual({ kind: 'url', value, display, host });
  });
});

describe('ip', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['8.8.8.8', '8.8.8.8'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0000::0001', '2001:db8::1'],
    ['[2001:db8::2]', '2001:db8::2'],
    ['::ffff:198.51.100.7', '::ffff:c633:6407'],
  ])('%s → %s', (input, value) => {
    expect(parsed(input)).toEqual({ kind: 'ip', value, display: value, host: null });
  });
});

describe('cidr', () => {
  it.each([
    ['198.51.100.0/24', '198.51.100.0/24'],
    ['203.0.113.7/32', '203.0.113.7/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:0:0::/48', '2001:db8::/48'],
    ['2001:db8::1/128', '2001:db8::1/128'],
    ['11.0.0.0/8', '11.0.0.0/8'],
    ['2000::/19', '2000::/19'],
  ])('%s → %s', (input, value) => {
    expect(parsed(input)).toEqual({ kind: 'cidr', value, display: value, host: null });
  });
});
