import { describe, expect, it } from 'vitest';
import { canonicalHost, canonicalPath, canonicalUrl } from '../src/resource/canonical-url.js';
import { parseResource } from '../src/resource/index.js';
import { seededRandom } from '../src/seeded-random.js';

const RULE = 'http://news.example.kz/articles/1';
const canon = (u: string): string | undefined => canonicalUrl(u)?.href;

describe('canonical URLs (issue 14: every spelling origins treat alike)', () => {
  it.each([
    ['a doubled leading slash', 'http://news.example.kz//articles/1'],
    ['a doubled inner slash', 'http://news.example.kz/articles//1'],
    ['a dot segment', 'http://news.example.kz/articles/./1'],
    ['a dot-dot segment', 'http://news.example.kz/x/../articles/1'],
    ['an encoded slash', 'http://news.example.kz/articles%2F1'],
    ['an encoded slash, lower case', 'http://news.example.kz/articles%2f1'],
    ['encoded unreserved characters', 'http://news.example.kz/%61rticles/%31'],
    ['encoded dots', 'http://news.example.kz/x/%2e%2E/articles/1'],
    ['a path parameter', 'http://news.example.kz/articles/1;x'],
    ['a parameter on a dot-dot', 'http://news.example.kz/x/..;/articles/1'],
    ['an empty query', 'http://news.example.kz/articles/1?'],
    ['the default port', 'http://news.example.kz:80/articles/1'],
    ['a trailing dot on the host', 'http://news.example.kz./articles/1'],
    ['an upper-case host', 'http://NEWS.Example.KZ/articles/1'],
    ['a fragment', 'http://news.example.kz/articles/1#comments'],
    ['a trailing slash', 'http://news.example.kz/articles/1/'],
    ['a backslash', 'http://news.example.kz/articles\\1'],
  ])('%s', (_what, spelling) => {
    expect(canon(spelling)).toBe(RULE);
  });

  it('an IDN host in either form', () => {
    const unicode = canon('http://жаңалықтар.қаз/articles/1');
    expect(unicode).toMatch(/^http:\/\/xn--[a-z0-9-]+\.xn--80ao21a\/articles\/1$/);
    expect(canon(unicode!)).toBe(unicode);
    expect(canon('http://ЖАҢАЛЫҚТАР.ҚАЗ./articles/1')).toBe(unicode);
    expect(canonicalHost('пример.kz')).toBe('xn--e1afmkfd.kz');
  });

  it('the https default port, and a port that is not the default', () => {
    expect(canon('https://news.example.kz:443/a')).toBe('https://news.example.kz/a');
    expect(canon('https://news.example.kz:8443/a')).toBe('https://news.example.kz:8443/a');
  });

  it('keeps path case (RFC 3986 §6.2.2.1: paths are case-sensitive), escapes upper-cased', () => {
    expect(canon('http://a.kz/Articles/1')).toBe('http://a.kz/Articles/1');
    expect(canon('http://a.kz/watch?v=dQw4w9WgXcQ')).toBe('http://a.kz/watch?v=dQw4w9WgXcQ');
    expect(canon('http://a.kz/%d0%b0')).toBe('http://a.kz/%D0%B0');
    expect(canon('http://a.kz/а')).toBe('http://a.kz/%D0%B0');
  });

  it('keeps what changes meaning: escaped ? # % ;, query delimiters, parameter order', () => {
    expect(canonicalPath('/a%3Fb')).toBe('/a%3Fb');
    expect(canonicalPath('/a%23b')).toBe('/a%23b');
    expect(canonicalPath('/100%25')).toBe('/100%25');
    expect(canonicalPath('/a%3Bb')).toBe('/a%3Bb');
    expect(canonicalPath('/s?q=a%26b&x=1')).toBe('/s?q=a%26b&x=1');
    expect(canonicalPath('/s?b=1&a=2')).toBe('/s?b=1&a=2');
    expect(canonicalPath('/s?q=%7e%2f')).toBe('/s?q=~/');
    expect(canonicalPath('/a%zz')).toBe('/a%25zz');
    expect(canonicalPath('/../../etc')).toBe('/etc');
    expect(canonicalPath('')).toBe('/');
  });

  it('is what the register records', () => {
    const r = parseResource('HTTP://News.Example.KZ.:80//x/../articles/%31;jsessionid=1?#top');
    expect(r.ok && r.resource.value).toBe(RULE);
  });

  it('is idempotent, and never throws, on 20,000 seeded random paths', () => {
    const rnd = seededRandom(3986);
    const alphabet = ['/', '/', '.', '..', '%', '%2f', '%2E', '%41', '%zz', ';', '?', '#', 'a', 'B', '~', '\\', ' ', 'ж', '&', '=', '+', '%3b', '//'];
    for (let i = 0; i < 20_000; i++) {
      let p = '';
      const n = Math.floor(rnd() * 12);
      for (let k = 0; k < n; k++) p += alphabet[Math.floor(rnd() * alphabet.length)];
      const once = canonicalPath(p);
      expect(once.startsWith('/')).toBe(true);
      expect(canonicalPath(once), JSON.stringify(p)).toBe(once);
    }
  });
});
