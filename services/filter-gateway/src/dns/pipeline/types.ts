import type { Matcher } from '@tizilim/shared';

/**
 * The shapes every pipeline stage shares. A stage may answer synchronously (blocked, cached,
 * malformed) or with a promise (upstream); keeping those two apart lets the hot paths run
 * without a promise per query.
 */

export type Transport = 'udp' | 'tcp' | 'doh' | 'internal' | 'dot';
export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'doh', 'internal', 'dot'];

/** Bounded set: it is a metric label. Never put a name here. */
export type AnswerKind =
  | 'blocked'
  | 'cached'
  | 'forwarded'
  | 'servfail'
  | 'formerr'
  | 'refused'
  | 'notimp'
  | 'dropped';
export const ANSWER_KINDS: readonly AnswerKind[] = [
  'blocked', 'cached', 'forwarded', 'servfail', 'formerr', 'refused', 'notimp', 'dropped',
];

/** A raw upstream answer with what the cache needs to serve it again. */
export interface UpstreamResult {
  wire: Buffer;
  /** Offsets of every TTL field except OPT's (whose TTL is flags, not time). */
  ttlOffsets: Uint16Array;
  /** Seconds the whole answer may be kept; 0 = do not cache. */
  cacheTtl: number;
  /**
   * The matcher the response policy last checked this answer against, and what it found
   * (a rule handle or NO_MATCH): a cached answer is walked again only after the rules changed.
   */
  checkedBy: Matcher | null;
  checkedHandle: number;
}

export interface Answer {
  kind: AnswerKind;
  /**
   * The reply as buffers to send in order; the first holds at least header and question.
   * Null for a dropped query.
   */
  chunks: Uint8Array[] | null;
  /** Only on the answer of the query that actually went upstream, for the cache to keep. */
  fresh?: UpstreamResult;
  /** The upstream answer this one was made from (forwarded, cached), for the response policy. */
  source?: UpstreamResult;
}

export type MaybePromise<T> = T | Promise<T>;
export type Next = (q: Query) => MaybePromise<Answer>;

export interface Stage {
  readonly name: string;
  handle(q: Query, next: Next): MaybePromise<Answer>;
}

/**
 * One query on its way through the pipeline. Transports create it with the bytes; the
 * parse stage fills the rest. A class (not an object literal) so every query has the same
 * hidden shape.
 */
export class Query {
  /** Filled by parse. */
  id = 0;
  flags = 0;
  qtype = 0;
  qclass = 0;
  /** Offset just past the question (header + QNAME + QTYPE + QCLASS). */
  questionEnd = 0;
  hasEdns = false;
  ednsDo = false;
  /** The largest reply this client takes on this transport. */
  maxSize: number;
  /**
   * The question as the answer cache keys it (question-key.ts); set by the cache stage on a
   * lookup, so blocked queries never build it. Empty until then.
   */
  cacheKey = '';
  readonly startedAt: number;

  constructor(
    readonly buf: Buffer,
    readonly transport: Transport,
    maxSize: number,
    startedAt: number,
  ) {
    this.maxSize = maxSize;
    this.startedAt = startedAt;
  }
}
