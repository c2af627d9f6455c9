import { formatIpBytes, maskToPrefix, parseIpAddress } from './ip-address.js';
import { hasHostBits, refuseIpPrefix } from './ip-policy.js';
import { quoteInput } from './quote-input.js';
import type { ParseResult } from './resource-types.js';

/** `[2001:db8::1]` as pasted from a URL is accepted; the brackets are not part of the address. */
function withoutBrackets(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}

export function parseIpResource(input: string): ParseResult {
  const address = parseIpAddress(withoutBrackets(input));
  if (!address) {
    return input.includes(':')
      ? { ok: false, reason: `${quoteInput(input)} is not a valid IPv6 address.` }
      : { ok: false, reason: `${quoteInput(input)} is not a valid IPv4 address: four decimal numbers 0–255, without leading zeros.` };
  }
  const refusal = refuseIpPrefix(address, address.bytes.length * 8, true, input);
  if (refusal) return { ok: false, reason: refusal };
  return { ok: true, resource: { kind: 'ip', value: address.text, display: address.text, host: null } };
}

const PREFIX_LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;

export function parseCidrResource(input: string): ParseResult {
  const slash = input.indexOf('/');
  const addressText = input.slice(0, slash);
  const prefixText = input.slice(slash + 1);
  const address = parseIpAddress(addressText);
  if (!address) return { ok: false, reason: `${quoteInput(input)} does not start with a valid IP address.` };
  const maxPrefix = address.bytes.length * 8;
  const prefix = Number(prefixText);
  if (!PREFIX_LENGTH.test(prefixText) || prefix > maxPrefix) {
    return { ok: false, reason: `${quoteInput(input)} has an invalid prefix length; IPv${address.version} takes /0 to /${maxPrefix}.` };
  }
  // Refused rather than silently masked: a host part usually means the operator copied the wrong
  // number, and the register must restrict exactly what the decision says.
  if (hasHostBits(address, prefix)) {
    const network = formatIpBytes(maskToPrefix(address.bytes, prefix));
    return { ok: false, reason: `${quoteInput(input)} has host bits set after /${prefix}; the network is ${network}/${prefix}.` };
  }
  const refusal = refuseIpPrefix(address, prefix, false, input);
  if (refusal) return { ok: false, reason: refusal };
  const value = `${address.text}/${prefix}`;
  return { ok: true, resource: { kind: 'cidr', value, display: value, host: null } };
}
