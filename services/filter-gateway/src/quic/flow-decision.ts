import type { Matcher } from '@tizilim/shared';
import type { ClientHelloInfo } from '../sni/client-hello-parser.js';
import { blocksNow } from '../sni/active-rule.js';
import { ipLiteralBytes } from '../sni/ip-literal.js';

/**
 * The rule decision on a read ClientHello, the same one the SNI checker makes: the server
 * name (with ECH, the outer name: the inner one is encrypted, and the outer name is what the
 * client's resolver and the origin's front see) matched as a host, or as an address when it is
 * an IP literal. Pure, so the benchmark measures exactly what the checker runs.
 */
export type FlowDecision =
  | { kind: 'blocked'; entry: number }
  | { kind: 'allowed'; name: string; ip: Uint8Array | undefined }
  | { kind: 'no_sni' }
  | { kind: 'invalid_name' };

export function decideFlow(info: ClientHelloInfo, matcher: Matcher, now: number): FlowDecision {
  const name = info.serverName;
  if (name === null) return { kind: 'no_sni' };
  // Bytes no DNS name has cannot be matched faithfully, so they are not let through.
  if (!info.serverNameValid) return { kind: 'invalid_name' };
  const ip = ipLiteralBytes(name);
  const handle = ip !== undefined ? matcher.matchIp(ip) : matcher.matchHost(name);
  if (blocksNow(matcher, handle, now)) return { kind: 'blocked', entry: matcher.entryOf(handle) };
  return { kind: 'allowed', name, ip };
}
