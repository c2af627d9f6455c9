import type { ResourceKind, RuleMode } from './feed-types.js';

export type LegalBasisKind = 'court_ruling' | 'prosecutor_recommendation' | 'ministry_order';
export const LEGAL_BASIS_KINDS: readonly LegalBasisKind[] = ['court_ruling', 'prosecutor_recommendation', 'ministry_order'];

export type DecisionAction = 'restrict' | 'suspend' | 'restore';

/** Why an entry was appended. */
export type LogReason = 'approved' | 'scheduled_start' | 'restored' | 'expired' | 'superseded';

/**
 * The part of a public log entry that is hashed. What is public is exactly what is hashed, so
 * anyone can recompute the chain: for sensitive categories `value` is null and only `host`
 * and `valueSha256` are published (the feed to ISPs still carries the full value).
 */
export interface LogEntryBody {
  seq: number;
  /** ISO-8601 UTC with milliseconds, e.g. 2026-11-24T10:00:00.000Z */
  time: string;
  op: 'add' | 'remove';
  reason: LogReason;
  mode: RuleMode;
  until: string | null;
  resource: {
    kind: ResourceKind;
    value: string | null;
    host: string | null;
    display: string | null;
    /** Hex SHA-256 of the full normalised value (UTF-8). */
    valueSha256: string;
  };
  category: string;
  decision: { id: string; action: DecisionAction; effectiveFrom: string };
  legalBasis: { id: string; kind: LegalBasisKind; authority: string; documentNumber: string; issuedAt: string };
}

/** A public log entry as published: body plus chain hashes (hex). */
export interface PublicLogEntry extends LogEntryBody {
  prevHash: string;
  hash: string;
}

/** A signed checkpoint of the log head. `signature` and `publicKey` are base64 (raw Ed25519). */
export interface SignedCheckpoint {
  seq: number;
  hash: string;
  time: string;
  signature: string;
  publicKey: string;
}

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);
