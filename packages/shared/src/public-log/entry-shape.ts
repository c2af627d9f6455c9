import { RESOURCE_KINDS, type RuleMode } from '../feed-types.js';
import { LEGAL_BASIS_KINDS, type DecisionAction, type LogReason, type PublicLogEntry } from '../public-log-types.js';
import { SHA256_HEX } from './entry-hash.js';

/** Returns what the value should have been, or null when it is fine. */
type Check = (value: unknown) => string | null;
interface Shape {
  readonly [field: string]: Check | Shape;
}

// Records keyed by the union make the compiler flag a member added to the type but not here.
const LOG_REASONS: Record<LogReason, true> = {
  approved: true,
  scheduled_start: true,
  restored: true,
  expired: true,
  superseded: true,
};
const DECISION_ACTIONS: Record<DecisionAction, true> = { restrict: true, suspend: true, restore: true };
const RULE_MODES: Record<RuleMode, true> = { restrict: true, suspend: true, allow: true };
const OPS: Record<PublicLogEntry['op'], true> = { add: true, remove: true };

// `time` is the one instant the verifier orders by, so it must have a single spelling:
// what Date.prototype.toISOString writes.
const ISO_UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const string: Check = (v) => (typeof v === 'string' ? null : 'a string');
const stringOrNull: Check = (v) => (v === null || typeof v === 'string' ? null : 'a string or null');
const sha256Hex: Check = (v) => (typeof v === 'string' && SHA256_HEX.test(v) ? null : '64 lower-case hex digits');
const positiveInteger: Check = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? null : 'an integer ≥ 1';
const isoInstant: Check = (v) =>
  typeof v === 'string' && ISO_UTC_MILLIS.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v
    ? null
    : 'an ISO-8601 UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)';
const oneOf = (allowed: readonly string[]): Check => {
  const set = new Set(allowed);
  return (v) => (typeof v === 'string' && set.has(v) ? null : `one of ${allowed.join(', ')}`);
};

const RESOURCE_SHAPE: Shape = {
  kind: oneOf(RESOURCE_KINDS),
  value: stringOrNull,
  host: stringOrNull,
  display: stringOrNull,
  valueSha256: sha256Hex,
};
const DECISION_SHAPE: Shape = {
  id: string,
  action: oneOf(Object.keys(DECISION_ACTIONS)),
  effectiveFrom: string,
};
const LEGAL_BASIS_SHAPE: Shape = {
  id: string,
  kind: oneOf(LEGAL_BASIS_KINDS),
  authority: string,
  documentNumber: string,
  issuedAt: string,
};
const ENTRY_SHAPE: Shape = {
  seq: positiveInteger,
  time: isoInstant,
  op: oneOf(Object.keys(OPS)),
  reason: oneOf(Object.keys(LOG_REASONS)),
  mode: oneOf(Object.keys(RULE_MODES)),
  until: stringOrNull,
  resource: RESOURCE_SHAPE,
  category: string,
  decision: DECISION_SHAPE,
  legalBasis: LEGAL_BASIS_SHAPE,
  prevHash: sha256Hex,
  hash: sha256Hex,
};

/**
 * Why `value` is not a well-formed `PublicLogEntry`, or null when it is. Unknown fields are
 * refused as well as missing ones: the hash covers only the known fields, so anything extra
 * would be published content that nobody can verify.
 */
export function entryShapeProblem(value: unknown): string | null {
  return problemIn(value, ENTRY_SHAPE, '');
}

function problemIn(value: unknown, shape: Shape, path: string): string | null {
  if (!isPlainObject(value)) return `${path ? `field ${path.slice(0, -1)}` : 'entry'} is not a JSON object`;
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(shape, key)) return `unexpected field ${path}${key} (not covered by the hash)`;
  }
  for (const [key, check] of Object.entries(shape)) {
    if (!Object.hasOwn(value, key)) return `missing field ${path}${key}`;
    const member = value[key];
    if (typeof check !== 'function') {
      const inner = problemIn(member, check, `${path}${key}.`);
      if (inner) return inner;
      continue;
    }
    const expected = check(member);
    if (expected) return `field ${path}${key} must be ${expected}`;
  }
  return null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
