import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { DB } from '../db/schema.js';
import { signTreeHead, tlogVerifierKey, type SignedTreeHead, type TlogIdentity } from './tlog-checkpoints.js';
import { requestCosignature, type WitnessConfig } from './witness-cosigning.js';
import { TlogNodeCache } from '../repositories/tlog-node-cache.js';
import { TlogTreeEdges } from '../repositories/tlog-tree-edge.js';
import { inclusionProof, latestCheckpointSize, type InclusionProof } from '../repositories/tlog-repository.js';

/** How long a process trusts its copy of the latest signed size (other processes may sign). */
const LATEST_SIZE_TTL_MS = 1000;

/**
 * The register as a transparency log: signs tree heads and gathers witness cosignatures.
 * Called by the checkpoint scheduler and by `POST /v1/log/checkpoints`; safe to call from
 * several API processes at once (see signTreeHead).
 */
export class TlogService {
  readonly verifierKey: string;
  /** Stored nodes this process has read, for proofs without database round trips. */
  readonly nodeCache: TlogNodeCache;
  /** Root and right edge of the tree sizes proofs were asked for (the latest checkpoints, mostly). */
  readonly treeEdges: TlogTreeEdges;
  #latest: { at: number; size: Promise<number | undefined> } | undefined;
  readonly #signed: Counter;
  readonly #cosign: Counter;

  constructor(
    private readonly db: Kysely<DB>,
    readonly identity: TlogIdentity,
    private readonly witnesses: readonly WitnessConfig[],
    private readonly logger: Logger,
    metrics: Registry,
    proofCacheBytes = 64 * 1024 * 1024,
  ) {
    this.verifierKey = tlogVerifierKey(identity);
    this.nodeCache = new TlogNodeCache(proofCacheBytes);
    this.treeEdges = new TlogTreeEdges(this.nodeCache);
    this.#signed = new Counter({ name: 'tlog_checkpoints_signed_total', help: 'Transparency-log checkpoints this process signed', registers: [metrics] });
    this.#cosign = new Counter({
      name: 'tlog_witness_requests_total',
      help: 'add-checkpoint requests to witnesses by outcome (cosigned, conflict, refused, unreachable)',
      labelNames: ['witness', 'outcome'],
      registers: [metrics],
    });
  }

  /** The latest signed tree size, re-read at most once a second. */
  latestSize(): Promise<number | undefined> {
    const now = Date.now();
    if (!this.#latest || now - this.#latest.at > LATEST_SIZE_TTL_MS) {
      const size = latestCheckpointSize(this.db);
      this.#latest = { at: now, size };
      size.catch(() => (this.#latest = undefined));
    }
    return this.#latest.size;
  }

  /**
   * The inclusion proof of entry `seq` in the tree of `treeSize` (default: the latest
   * checkpoint) from this process's caches: what the proof route, the JSON entry and the entry
   * page all answer with. RegisterError 400/404 for impossible ones (see inclusionProof).
   */
  inclusionProof(seq: number, treeSize?: number): Promise<InclusionProof> {
    return inclusionProof(this.db, seq, treeSize, { cache: this.nodeCache, edges: this.treeEdges, latestCheckpointSize: () => this.latestSize() });
  }

  async signAndWitness(): Promise<SignedTreeHead> {
    const head = await signTreeHead(this.db, this.identity);
    this.#latest = undefined;
    if (!head.isNew) return head;
    this.#signed.inc();
    this.logger.info({ treeSize: head.treeSize, root: head.rootHash.toString('base64') }, 'tlog checkpoint signed');
    // Only the process that stored the checkpoint asks, so a witness sees each size once.
    await Promise.all(this.witnesses.map(async (w) => {
      const outcome = await requestCosignature(this.db, this.verifierKey, head, w, this.logger);
      this.#cosign.inc({ witness: w.verifier.name, outcome });
    }));
    return head;
  }
}
