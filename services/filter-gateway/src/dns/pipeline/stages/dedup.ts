import { questionKey } from '../../cache/question-key.js';
import { materialise, servfail } from '../answers.js';
import type { Answer, MaybePromise, Next, Query, Stage, UpstreamResult } from '../types.js';

/**
 * After the cache (only misses get here) and before upstream: identical questions asked
 * while one is already out wait for that one answer instead of sending their own, which
 * spares the upstream a burst and narrows the window for spoofed replies. Keyed like the
 * cache, by the question as a string (the cache stage has usually built it already).
 */
export function dedupStage(): Stage {
  const flights = new Map<string, Promise<UpstreamResult | undefined>>();
  return {
    name: 'dedup',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      const key = q.cacheKey !== '' ? q.cacheKey : questionKey(q);
      const flight = flights.get(key);
      if (flight !== undefined) {
        return flight.then((r) => (r ? materialise(r, q, 0, 'forwarded') : servfail(q)));
      }
      const a = next(q);
      if (!(a instanceof Promise)) return a;
      const result = a.then((r) => r.fresh, () => undefined);
      flights.set(key, result);
      const done = (): void => { flights.delete(key); };
      result.then(done, done);
      return a;
    },
  };
}
