/**
 * The names of the 1M-rule register, generated deterministically from the shared datasets
 * (/work/shared/datasets). They are strings only: nothing here, nor in the benchmarks that
 * use them, ever resolves or contacts them.
 *
 * How 1M distinct rules are made (rule i, i = 0 … N-1):
 *  - i % 20 == 0   → `domain_suffix`: the 85,291 StevenBlack suffixes (`*.x` → `x`), in file order;
 *  - i % 100 == 1  → `url`: `https://<host>/<path>` with a host of the StevenBlack host list and
 *                    a path made of the rule number (`/p/<i>/index.html`);
 *  - i % 500 == 3  → `ip` / `cidr`: addresses of the documentation ranges (192.0.2.0/24,
 *                    198.51.100.0/24, 203.0.113.0/24), then IPv6 /48s of 2001:db8::/32;
 *  - otherwise     → `domain`: the 140,626 StevenBlack hosts, then the same hosts under a
 *                    prefix label, one round per label (`www.`, `m.`, `cdn.`, `static.`, `img.`,
 *                    `api.`, `mail.`, `ads.`, `track.`, `news.`), skipping any name already used.
 * Every value goes through the register's own `parseResource` (normalisation, IDNA, public
 * suffix and local-name refusals); the few it refuses are skipped, so the set holds only what
 * the API itself would have accepted.
 */
import { readFileSync } from 'node:fs';
import { parseResource, type ParsedResource } from '@tizilim/shared/resource/index';

export const DATASETS = new URL('../../../shared/datasets/', import.meta.url);

export function datasetLines(file: string): string[] {
  return readFileSync(new URL(file, DATASETS), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

const PREFIX_LABELS = ['www', 'm', 'cdn', 'static', 'img', 'api', 'mail', 'ads', 'track', 'news', 'app', 'login', 'shop', 'media'];

export interface GeneratedRules {
  rules: ParsedResource[];
  /** values the register's parser refused (not in `rules`) */
  refused: number;
  byKind: Record<string, number>;
}

/** N distinct, parser-accepted resources (see the file comment for how). */
export function generateRules(n: number): GeneratedRules {
  const hosts = datasetLines('blocklist-stevenblack-hosts.txt');
  const suffixes = datasetLines('blocklist-stevenblack-suffixes.txt').map((l) => l.replace(/^\*\./, ''));
  const seen = new Set<string>();
  const rules: ParsedResource[] = [];
  const byKind: Record<string, number> = {};
  let refused = 0;

  let hostRound = 0;
  let hostIndex = 0;
  /** The next domain name not used yet: hosts, then www.hosts, m.hosts, … */
  const nextDomain = (): string | undefined => {
    for (;;) {
      if (hostIndex >= hosts.length) {
        hostRound++;
        hostIndex = 0;
        if (hostRound > PREFIX_LABELS.length) return undefined;
      }
      const h = hosts[hostIndex++]!;
      const name = hostRound === 0 ? h : `${PREFIX_LABELS[hostRound - 1]}.${h}`;
      if (!seen.has(`domain ${name}`)) return name;
    }
  };
  let suffixIndex = 0;
  let urlIndex = 0;
  let ipIndex = 0;
  const nextIp = (): string => {
    const k = ipIndex++;
    if (k < 768) return `${['192.0.2', '198.51.100', '203.0.113'][Math.floor(k / 256)]}.${k % 256}`;
    return `2001:db8:${(k - 768).toString(16)}::/48`;
  };

  for (let i = 0; rules.length < n; i++) {
    let input: string | undefined;
    if (i % 20 === 0 && suffixIndex < suffixes.length) input = `*.${suffixes[suffixIndex++]!}`;
    else if (i % 100 === 1) input = `https://${hosts[urlIndex++ % hosts.length]!}/p/${i}/index.html`;
    else if (i % 500 === 3) input = nextIp();
    else input = nextDomain();
    if (input === undefined) throw new Error(`the datasets give fewer than ${n} distinct names`);
    const parsed = parseResource(input);
    if (!parsed.ok) { refused++; continue; }
    const key = `${parsed.resource.kind} ${parsed.resource.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rules.push(parsed.resource);
    byKind[parsed.resource.kind] = (byKind[parsed.resource.kind] ?? 0) + 1;
  }
  return { rules, refused, byKind };
}
