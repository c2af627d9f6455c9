import { parse } from 'tldts';
import { quoteInput } from './quote-input.js';

/**
 * Names that only mean something inside a machine or a site (RFC 6761, RFC 6762, the ICANN
 * `.internal` reservation, the `.arpa` infrastructure zone): restricting them could only ever
 * break the ISP's own resolution, never a resource on the internet.
 */
const LOCAL_TOP_LABELS = new Set(['localhost', 'local', 'internal', 'arpa']);

/**
 * Only the ICANN section of the public suffix list: private entries (`github.io`,
 * `blogspot.com`) are platforms one company runs, and restricting them is a real, if heavy,
 * decision the register must be able to record.
 */
const PUBLIC_SUFFIX_OPTIONS = { allowPrivateDomains: false, extractHostname: false, validateHostname: false, detectIp: false } as const;

function isIcannPublicSuffix(ascii: string): boolean {
  const parsed = parse(ascii, PUBLIC_SUFFIX_OPTIONS);
  return parsed.isIcann === true && parsed.publicSuffix === ascii;
}

/**
 * Why a syntactically valid A-label name cannot be restricted, or undefined when it can.
 * `written` is how the operator wrote it (with `*.` for a suffix), echoed in the reason.
 */
export function refuseName(ascii: string, kind: 'domain' | 'domain_suffix' | 'url host', written: string): string | undefined {
  const topLabel = ascii.slice(ascii.lastIndexOf('.') + 1);
  if (LOCAL_TOP_LABELS.has(topLabel)) {
    return `${quoteInput(written)} is a local or infrastructure name (.${topLabel}): it never names a resource on the internet.`;
  }
  // No top-level domain starts with `rpz-`; in a Response Policy Zone a label right under the
  // origin that does is a trigger (rpz-ip, rpz-nsip, rpz-nsdname, rpz-client-ip): the "name"
  // `0.0.0.0.127.rpz-client-ip` would make every resolver that loads our RPZ refuse every client.
  if (topLabel.startsWith('rpz-')) {
    return `${quoteInput(written)} ends in .${topLabel}, a Response Policy Zone keyword, not a top-level domain: as a rule it would rewrite resolvers' policy, not restrict a name.`;
  }
  if (isIcannPublicSuffix(ascii)) {
    return kind === 'domain_suffix'
      ? `${quoteInput(written)} is a public suffix: restricting it would block every name under it.`
      : `${quoteInput(written)} is a public suffix, not a name anyone holds: restrict names under it instead.`;
  }
  if (!ascii.includes('.')) return `${quoteInput(written)} has a single label; a restricted name has at least two, like example.kz.`;
  return undefined;
}
