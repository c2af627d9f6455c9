import type { Logger } from 'pino';
import type { DnsMetrics } from '../../observability/dns-metrics.js';
import type { CoarseClock } from '../../util/clock.js';
import type { AnswerCache } from '../cache/answer-cache.js';
import type { RuleSet } from '../rules/rule-set.js';
import type { UpstreamPool } from '../upstream/upstream-pool.js';
import type { BlockResponder } from './block-responder.js';
import { cacheStage } from './stages/cache.js';
import { dedupStage } from './stages/dedup.js';
import { fitToTransportStage } from './stages/fit-to-transport.js';
import { matchStage } from './stages/match.js';
import { observeStage } from './stages/observe.js';
import { parseStage } from './stages/parse.js';
import { responsePolicyStage } from './stages/response-policy.js';
import { upstreamStage } from './stages/upstream.js';
import type { Answer, MaybePromise, Next, Query, Stage } from './types.js';

export interface PipelineDeps {
  rules: RuleSet;
  responder: BlockResponder;
  cache: AnswerCache;
  pool: UpstreamPool;
  clock: CoarseClock;
  metrics: DnsMetrics;
  queryLog?: Logger | undefined;
}

export type Pipeline = (q: Query) => MaybePromise<Answer>;

/**
 * The whole per-query path, in order; each stage says in its own file why it sits where it
 * does. Wrapping stages (observe, fit) come first because they post-process whatever the
 * later ones answer.
 */
export function buildStages(d: PipelineDeps): Stage[] {
  return [
    observeStage(d.metrics, d.queryLog),
    fitToTransportStage(),
    parseStage(),
    matchStage(d.rules, d.responder, d.clock),
    responsePolicyStage(d.rules, d.responder, d.clock),
    cacheStage(d.cache, d.clock),
    dedupStage(),
    upstreamStage(d.pool),
  ];
}

/** Chains the stages once, at build time: a query pays no allocation for the chaining. */
export function buildPipeline(d: PipelineDeps): Pipeline {
  return compose(buildStages(d));
}

export function compose(stages: readonly Stage[]): Pipeline {
  let next: Next = () => { throw new Error('pipeline ran past its last stage'); };
  for (let k = stages.length - 1; k >= 0; k--) {
    const stage = stages[k]!;
    const after = next;
    next = (q) => stage.handle(q, after);
  }
  return next;
}
