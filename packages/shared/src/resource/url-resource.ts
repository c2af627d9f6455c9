import { canonicalUrl } from './canonical-url.js';
import { hostToDisplay, normaliseHost } from './host-name.js';
import { parseIpAddress } from './ip-address.js';
import { refuseIpPrefix } from './ip-policy.js';
import { refuseName } from './name-policy.js';
import { quoteInput } from './quote-input.js';
import type { ParseResult } from './resource-types.js';

/** Far above what browsers send in practice, low enough that a pasted document is caught. */
const MAX_URL_LENGTH = 8192;

/** The host as typed: after `scheme://` and any user info, before the port, path, query or fragment. */
function hostAsTyped(input: string): string {
  const afterScheme = input.slice(input.indexOf('//') + 2);
  const authority = afterScheme.split(/[/?#\\]/, 1)[0] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function refuse(reason: string): ParseResult {
  return { ok: false, reason };
}

/** `input` has a `scheme://` prefix. */
export function parseUrlResource(input: string): ParseResult {
  if (input.length > MAX_URL_LENGTH) return refuse(`${quoteInput(input)} is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse(`${quoteInput(input)} is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return refuse(`${quoteInput(input)} is not an http:// or https:// URL; only those can be restricted.`);
  }
  // Credentials would be published in the public register and never reach the filter anyway.
  if (url.username !== '' || url.password !== '') return refuse(`${quoteInput(input)} has a user name or password in it; remove them.`);

  let host: string;
  let displayHost: string;
  if (url.hostname.startsWith('[')) {
    const address = parseIpAddress(url.hostname.slice(1, -1));
    if (!address) return refuse(`${quoteInput(input)} has an invalid IPv6 host.`);
    const refusal = refuseIpPrefix(address, 128, true, address.text);
    if (refusal) return refuse(refusal);
    host = address.text;
    displayHost = url.hostname;
  } else {
    const address = parseIpAddress(url.hostname);
    if (address) {
      // WHATWG reads `010.1.1.1`, `0x0a000001` or `167772161` as 10.0.0.1; a register entry must
      // say the address plainly so nobody is misled about what it restricts.
      if (hostAsTyped(input).toLowerCase() !== address.text) {
        return refuse(`${quoteInput(input)} writes its IPv4 host in an unusual form; write it as ${address.text}.`);
      }
      const refusal = refuseIpPrefix(address, 32, true, address.text);
      if (refusal) return refuse(refusal);
      host = address.text;
      displayHost = address.text;
    } else {
      const ascii = normaliseHost(url.hostname);
      if (ascii === undefined) return refuse(`${quoteInput(input)} does not have a valid host name.`);
      const refusal = refuseName(ascii, 'url host', ascii);
      if (refusal) return refuse(refusal);
      url.hostname = ascii;
      host = ascii;
      displayHost = hostToDisplay(ascii);
    }
  }
  // Recorded in the canonical form the gateway and the public check match in (canonical-url.ts):
  // no fragment, no default port, dot segments, doubled slashes and parameters gone.
  const canonical = canonicalUrl(url.href);
  if (canonical === undefined) return refuse(`${quoteInput(input)} is not a valid URL.`);
  const value = canonical.href;
  const display = `${canonical.scheme}://${displayHost}${canonical.port}${canonical.path}`;
  return { ok: true, resource: { kind: 'url', value, display, host } };
}
