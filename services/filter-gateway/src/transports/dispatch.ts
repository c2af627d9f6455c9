import type { Logger } from 'pino';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import type { Answer, Query } from '../dns/pipeline/types.js';

/** Called exactly once per query: the reply, or null when nothing is to be sent. */
export type Reply = (chunks: Uint8Array[] | null) => void;

/**
 * Runs one query and hands the answer to the transport. Blocked and cached answers come back
 * synchronously and are sent without a promise. Nothing a query does may take the process
 * down: a throw is logged and the query dropped.
 */
export function dispatch(pipeline: Pipeline, q: Query, send: Reply, log: Logger): void {
  // A reply can fail when the listener closed while the query was upstream (shutdown).
  const reply: Reply = (chunks) => {
    try { send(chunks); } catch (err) { log.debug({ err }, 'could not send a reply'); }
  };
  let a: Answer | Promise<Answer>;
  try {
    a = pipeline(q);
  } catch (err) {
    log.error({ err }, 'query pipeline threw');
    reply(null);
    return;
  }
  if (a instanceof Promise) dispatchPending(a, reply, log);
  else reply(a.chunks);
}

/** The answer of a query that went upstream: sent when it settles; a failure is logged and dropped. */
export function dispatchPending(a: Promise<Answer>, send: Reply, log: Logger): void {
  a.then((r) => send(r.chunks), (err: unknown) => {
    log.error({ err }, 'query pipeline failed');
    send(null);
  });
}
