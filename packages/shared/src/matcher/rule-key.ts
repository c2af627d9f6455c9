import type { ResourceKind } from './matcher-types.js';
import { validateRuleName } from './domain-name-hash.js';
import { parseIpRuleValue } from './ip-text.js';
import { parseUrlRule } from './url-rules.js';

/**
 * The identity of a rule as the matcher sees it: two values with the same key are the same
 * rule (a later add replaces, a remove of either removes it). Host names ignore case and a
 * trailing dot, addresses are compared as masked bytes, URLs as parsed host and path.
 * Undefined when the value could not be held by a matcher at all.
 */
export function ruleKey(kind: ResourceKind, value: string): string | undefined {
  switch (kind) {
    case 'domain':
    case 'domain_suffix': {
      const end = validateRuleName(value);
      return end < 0 ? undefined : `${kind} ${value.slice(0, end).toLowerCase()}`;
    }
    case 'ip':
    case 'cidr': {
      const ip = parseIpRuleValue(kind, value);
      if (!ip) return undefined;
      const hex: string[] = [];
      for (let i = 0; i < ip.bytes.length; i++) {
        const bits = Math.min(8, Math.max(0, ip.prefix - i * 8));
        hex.push((ip.bytes[i]! & ((0xff << (8 - bits)) & 0xff)).toString(16).padStart(2, '0'));
      }
      return `${kind} ${hex.join('')}/${ip.prefix}`;
    }
    case 'url': {
      const u = parseUrlRule(value);
      return u && `url ${u.host} ${u.path}`;
    }
    default:
      return undefined;
  }
}
