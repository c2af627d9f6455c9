import { makeQuestionKey, questionKeyMatches } from '../../cache/question-key.js';
import { materialise, servfail } from '../answers.js';
import type { Answer, MaybePromise, Next, Query, Stage, UpstreamResult } from '../types.js';

interface Flight {
  key: Buffer;
  result: Promise<UpstreamResult | undefined>;
}

/**
 * After the cache (only misses get here) and before upstream: identical questions asked
 * while one is already out wait for that one answer instead of sending their own, which
 * spares the upstream a burst and narrows the window for spoofed replies.
 */
export function dedupStage(): Stage {
  const flights = new Map<number, Flight>();
  return {
    name: 'dedup',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      const f = flights.get(q.keyHash);
      if (f !== undefined && questionKeyMatches(f.key, q)) {
        return f.result.then((r) => (r ? materialise(r, q, 0, 'forwarded') : servfail(q)));
      }
      const a = next(q);
      if (!(a instanceof Promise) || f !== undefined) return a; // a hash collision flies alone
      const result = a.then((r) => r.fresh, () => undefined);
      flights.set(q.keyHash, { key: makeQuestionKey(q), result });
      const done = (): void => { flights.delete(q.keyHash); };
      result.then(done, done);
      return a;
    },
  };
}
