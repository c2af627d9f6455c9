import { parseCidrResource, parseIpResource } from './ip-resource.js';
import { parseDomainResource, parseDomainSuffixResource } from './name-resource.js';
import { quoteInput } from './quote-input.js';
import type { ParseResult } from './resource-types.js';
import { parseUrlResource } from './url-resource.js';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Digits and dots, or hex with a colon: `cafe.de/x` is a URL without a scheme, not a prefix. */
const IP_WITH_PREFIX = /^(?:[0-9.]+|[0-9a-f.]*:[0-9a-f:.]*)\/[^/]*$/i;
const LOOKS_LIKE_IPV4 = /^[0-9.]+$/;
const BRACKETED = /^\[.*\]$/;
/** One colon cannot be IPv6, which always has at least two. */
const NAME_WITH_PORT = /^[^:]+:[0-9]*$/;

/**
 * Reads one resource as an operator writes it (DESIGN.md, "Domain model") and normalises it,
 * or says in one sentence why it cannot be restricted. Never throws.
 */
export function parseResource(input: string): ParseResult {
  // Surrounding blanks come with copy and paste; blanks inside are an error the parsers report.
  const text = input.trim();
  if (text === '') return { ok: false, reason: 'The resource is empty.' };

  if (SCHEME.test(text)) return parseUrlResource(text);
  if (text.includes('/')) {
    if (IP_WITH_PREFIX.test(text)) return parseCidrResource(text);
    return { ok: false, reason: `${quoteInput(text)} looks like a URL without a scheme; write it as http://… or https://….` };
  }
  if (NAME_WITH_PORT.test(text)) {
    return { ok: false, reason: `${quoteInput(text)} has a port; a name is restricted on every port, or write a URL like http://host:port/.` };
  }
  if (text.includes(':') || LOOKS_LIKE_IPV4.test(text) || BRACKETED.test(text)) return parseIpResource(text);
  if (text.startsWith('*.')) return parseDomainSuffixResource(text);
  if (text.includes('*')) return { ok: false, reason: `${quoteInput(text)} has a * that is not a leading "*.": only whole suffixes can be written with *.` };
  return parseDomainResource(text);
}
