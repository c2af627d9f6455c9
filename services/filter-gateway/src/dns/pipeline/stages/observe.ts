import type { Logger } from 'pino';
import type { DnsMetrics } from '../../../observability/dns-metrics.js';
import type { Answer, MaybePromise, Next, Query, Stage } from '../types.js';

/**
 * First in the list because it must see every answer, drops and FORMERRs included, and time
 * the whole pipeline. The metric label is the answer kind, never the name asked.
 */
export function observeStage(metrics: DnsMetrics, log: Logger | undefined): Stage {
  const record = (q: Query, a: Answer): Answer => {
    metrics.record(q.transport, a.kind, q.startedAt);
    if (log) log.info({ transport: q.transport, kind: a.kind, qtype: q.qtype, id: q.id }, 'query');
    return a;
  };
  return {
    name: 'observe',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      const a = next(q);
      if (a instanceof Promise) return a.then((r) => record(q, r));
      return record(q, a);
    },
  };
}
