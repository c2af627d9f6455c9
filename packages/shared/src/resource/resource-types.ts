import type { ResourceKind } from '../feed-types.js';

/** A resource as the register stores it, normalised once at the edge (DESIGN.md, "Domain model"). */
export interface ParsedResource {
  kind: ResourceKind;
  /** Normalised form, the same text the feed carries; parsing it again gives it back unchanged. */
  value: string;
  /** For people: host names in Unicode, `*.` written for suffixes. */
  display: string;
  /**
   * The A-label host a name or URL rule is about; for a URL on an IP literal the canonical
   * address without brackets. Null for `ip` and `cidr`.
   */
  host: string | null;
}

export type ParseResult = { ok: true; resource: ParsedResource } | { ok: false; reason: string };

export type { ResourceKind };
