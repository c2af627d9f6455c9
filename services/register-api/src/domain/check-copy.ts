import type { FeedRule, Matcher, RuleChange } from '@tizilim/shared';
import type { ChangeWithSpan } from '../repositories/check-copy-repository.js';
import type { ActiveEntries, OpenSpan } from './active-entries.js';
import type { IpRuleIndex } from './ip-rule-index.js';
import type { UrlRuleIndex } from './url-rule-index.js';
import type { SuggestIndex } from './suggest-index.js';
import { matcherRuleEntry } from './matcher-rule-entry.js';

/** A host name as the database holds it: lower case, no trailing dot (the matcher ignores both). */
const NOT_CANONICAL = /[A-Z]|\.$/;

/** The in-memory copy public checks are answered from (see ActiveRules). */
export interface Copy {
  /** domain and suffix rules (and the rest: a quick "nothing here" for any name) */
  matcher: Matcher;
  urls: UrlRuleIndex;
  ips: IpRuleIndex;
  /** what a public entry shows of each open span, by the seq that opened it */
  entries: ActiveEntries;
  /** open restrictions sorted by what a reader types, for type-ahead */
  suggest: SuggestIndex;
}

/** Files a `url`, `ip` or `cidr` rule in its index; returns the entry it replaces, or -1. */
export function index(copy: Pick<Copy, 'urls' | 'ips'>, kind: FeedRule['kind'], value: string, host: string | null, seq: number): number {
  switch (kind) {
    case 'url':
      if (host === null) throw new TypeError(`url rule ${value}: no host`);
      return copy.urls.set(host, value, seq);
    case 'ip':
    case 'cidr':
      return copy.ips.set(kind, value, seq);
    default:
      // The matcher is the index of names; it compares them case-blind, the database does not.
      if (NOT_CANONICAL.test(value)) throw new TypeError(`${kind} rule ${value}: not a canonical host name`);
      return -1;
  }
}

/**
 * One page of the log applied to the indexes and span details of `copy` (its matcher is still
 * the one before the page). A `remove` names the resource, not the span: the span it closes
 * is the one whose entry the rule had just before it.
 */
export function applyToEntries(copy: Copy, rows: readonly ChangeWithSpan[], changes: readonly RuleChange[]): void {
  /** name rules touched in this page: `${kind} ${value}` → entry now (-1: removed) */
  const names = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const seq = Number(row.seq);
    const add = row.op === 'add';
    let previous: number;
    if (row.kind === 'domain' || row.kind === 'domain_suffix') {
      const key = `${row.kind} ${row.value}`;
      previous = names.get(key) ?? matcherRuleEntry(copy.matcher, row.kind, row.value);
      names.set(key, add ? seq : -1);
      if (add) index(copy, row.kind, row.value, row.host, seq);
    } else if (add) {
      previous = index(copy, row.kind, row.value, row.host, seq);
    } else {
      previous = row.kind === 'url' ? copy.urls.delete(row.value) : copy.ips.delete(row.kind, row.value);
    }
    if (previous >= 0) {
      copy.entries.remove(previous);
      copy.suggest.remove(previous);
    }
    if (add) {
      const span = openSpanOf(row, changes[i]!.rule.until);
      copy.entries.add(span);
      copy.suggest.add(span);
    }
  }
}

function openSpanOf(row: ChangeWithSpan, until: string | undefined): OpenSpan {
  if (row.span_mode === null || row.starts_at === null || row.decision_id === null || row.category === null || row.basis_kind === null
    || row.authority === null || row.document_number === null || row.issued_at === null) {
    throw new Error(`log entry ${row.seq} adds ${row.kind} ${row.value} but no span names it`);
  }
  return {
    seq: Number(row.seq), mode: row.span_mode, startsAt: row.starts_at,
    // The span's planned end as the entry published it: by now the span may be closed, its end rewritten.
    endsAt: until ? new Date(until) : null,
    decisionId: row.decision_id, category: row.category, basisKind: row.basis_kind, authority: row.authority,
    documentNumber: row.document_number, issuedAt: row.issued_at, kind: row.kind, value: row.value, display: row.display, host: row.host,
  };
}
