import { describe, expect, it } from 'vitest';
import { buildMatcher, NO_MATCH, parseResource, seededRandom, type FeedRule } from '@tizilim/shared';
import { urlCovers } from '@tizilim/register-api/domain/public-check';
import { requestTarget } from '@tizilim/filter-gateway/blockpage/request-target';

/**
 * Register and gateway hold URL rules to one answer (issue 14): for seeded random rules and
 * random respellings of requests, the public check's answer (register: the rule as recorded,
 * the asked URL as parsed) equals the block page's (gateway: the request target matched
 * against the rule, recorded canonical or as an old row was written).
 */

const HOSTS = ['news.example.kz', 'жаңалықтар.қаз', 'blog.example.org'];
const SEGMENTS = ['articles', '1', 'Politics', 'a~b', 'x-y_z', 'view', 'ru', '42'];
const QUERIES = ['', '', '', '?id=7', '?q=a%26b', '?t=3&x=1'];

type Rnd = () => number;
const pick = <T>(r: Rnd, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;

function randomPath(r: Rnd): string[] {
  return Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, SEGMENTS));
}

/** A spelling an origin serves as the same page. */
function respell(r: Rnd, segs: readonly string[]): string {
  let out = '';
  for (const s of segs) {
    const sep = pick(r, ['/', '/', '//', '/./', '/zz/../', '%2F', '%2f']);
    let seg = '';
    for (const ch of s) seg += r() < 0.2 ? '%' + ch.charCodeAt(0).toString(16)[r() < 0.5 ? 'toUpperCase' : 'toLowerCase']() : ch;
    if (r() < 0.15) seg += ';jsessionid=' + Math.floor(r() * 100);
    out += (out === '' ? pick(r, ['/', '//', '/./']) : sep) + seg;
  }
  if (r() < 0.2) out += '/';
  return out;
}

function hostSpelling(r: Rnd, host: string): string {
  let h = r() < 0.5 ? host.toUpperCase() : host;
  if (r() < 0.3) h += '.';
  return h;
}

describe('URL rules: register and gateway agree (seeded property test)', () => {
  it('on 3,000 rules and respelled or different requests', () => {
    const r = seededRandom(14);
    let blocked = 0;
    for (let i = 0; i < 3000; i++) {
      const host = pick(r, HOSTS);
      const ruleSegs = randomPath(r);
      const query = pick(r, QUERIES);
      const written = `http://${host}/${ruleSegs.join('/')}${query}`;
      const recorded = parseResource(written);
      if (!recorded.ok) throw new Error(`rule ${written}: ${recorded.reason}`);
      const value = recorded.resource.value;
      // Half the time the request respells the rule's own path; otherwise it is another path.
      const same = r() < 0.5;
      const reqSegs = same ? ruleSegs : randomPath(r);
      const reqPath = respell(r, reqSegs) + (same ? query : pick(r, QUERIES));
      const hostText = hostSpelling(r, host);
      const askedUrl = `http://${hostText}${r() < 0.3 ? ':80' : ''}${reqPath}`;
      const asked = parseResource(askedUrl);
      if (!asked.ok) throw new Error(`asked ${askedUrl}: ${asked.reason}`);

      const register = urlCovers(value, asked.resource.value);
      // The gateway sees the request as a browser sends it: Host in A-labels.
      const target = requestTarget(reqPath, new URL(`http://${hostText}/`).host + (r() < 0.3 ? ':80' : ''));
      expect(target, askedUrl).toBeDefined();
      const rule = (v: string): FeedRule => ({ id: 'r1', kind: 'url', value: v, mode: 'restrict', entry: 1 });
      const gateway = buildMatcher([rule(value)]).matchUrl(target!.host, target!.path) !== NO_MATCH;
      // A row recorded before the canonical form: the raw text as written.
      const oldRow = buildMatcher([rule(new URL(written).href)]).matchUrl(target!.host, target!.path) !== NO_MATCH;

      expect(gateway, `${value} vs ${askedUrl}`).toBe(register);
      expect(oldRow, `old row ${written} vs ${askedUrl}`).toBe(register);
      if (same) expect(register, `${value} must cover its respelling ${askedUrl}`).toBe(true);
      if (register) blocked++;
    }
    expect(blocked).toBeGreaterThan(1200);
  });
});
