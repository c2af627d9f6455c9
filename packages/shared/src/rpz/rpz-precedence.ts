import { rpzRecordsOf, type RpzRecord, type RpzRuleInput } from './rpz-records.js';

/**
 * Two rules can write the same owner: a name rule and a suffix rule on one name (both write
 * the apex), an IP rule and a full-length CIDR on one address. A zone may hold one CNAME per
 * owner (RFC 1034 §3.6.2), so the more specific rule's record is the one written: the name
 * rule beats the suffix's apex (as the matcher lets the exact name decide), the IP the CIDR.
 */

/** The key a rule set indexes a rule by (`kind value`), as the gateway's sync keeps it. */
export function rpzRuleKey(r: { kind: string; value: string }): string {
  return `${r.kind} ${r.value}`;
}

/** Keys of the rules that may write record `index` of `rule`'s owner, most specific first. */
export function rpzOwnerRivals(rule: RpzRuleInput, index: number): string[] {
  switch (rule.kind) {
    case 'domain':
      return [`domain ${rule.value}`, `domain_suffix ${rule.value}`];
    case 'domain_suffix':
      return index === 0 ? [`domain ${rule.value}`, `domain_suffix ${rule.value}`] : [`domain_suffix ${rule.value}`];
    case 'ip':
      return [`ip ${rule.value}`, `cidr ${rule.value}/${rule.value.includes(':') ? 128 : 32}`];
    case 'cidr': {
      const [addr = '', len = ''] = rule.value.split('/');
      const full = addr.includes(':') ? '128' : '32';
      return len === full ? [`ip ${addr}`, `cidr ${rule.value}`] : [`cidr ${rule.value}`];
    }
    case 'url':
      return [];
  }
}

/**
 * The record at one owner as a rule set decides it: the first rival present writes it.
 * `lookup` answers by rule key; undefined when no rule writes the owner.
 */
export function rpzOwnerRecord(
  rule: RpzRuleInput, index: number, lookup: (key: string) => RpzRuleInput | undefined,
): RpzRecord | undefined {
  for (const key of rpzOwnerRivals(rule, index)) {
    const winner = lookup(key);
    if (!winner) continue;
    const own = rpzRecordsOf(winner);
    const owner = rpzRecordsOf(rule)[index]?.owner;
    const rec = own.find((r) => r.owner === owner);
    if (rec) return rec;
  }
  return undefined;
}

/** The records of `rule` that are its own to write (not shadowed by a more specific rule). */
export function rpzWrittenRecords(rule: RpzRuleInput, lookup: (key: string) => RpzRuleInput | undefined): RpzRecord[] {
  const recs = rpzRecordsOf(rule);
  const key = rpzRuleKey(rule);
  const out: RpzRecord[] = [];
  for (let i = 0; i < recs.length; i++) {
    const rivals = rpzOwnerRivals(rule, i);
    let mine = true;
    for (const k of rivals) {
      if (k === key) break;
      if (lookup(k)) { mine = false; break; }
    }
    if (mine) out.push(recs[i]!);
  }
  return out;
}
