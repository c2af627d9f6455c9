import type { AnswerCache } from '../../cache/answer-cache.js';
import type { CoarseClock } from '../../../util/clock.js';
import { materialise } from '../answers.js';
import type { Answer, MaybePromise, Next, Query, Stage } from '../types.js';

/**
 * After match (blocking wins over anything cached) and before de-duplication and upstream:
 * a hit is answered synchronously, with ID, question case and aged TTLs patched in; a miss
 * goes on and the fresh upstream answer is stored on the way back.
 */
export function cacheStage(cache: AnswerCache, clock: CoarseClock): Stage {
  const storeFresh = (q: Query, a: Answer): Answer => {
    if (a.fresh) cache.store(q, a.fresh, clock.now);
    return a;
  };
  return {
    name: 'cache',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      const hit = cache.lookup(q, clock.now);
      if (hit) return materialise(hit.result, q, hit.age, 'cached');
      const a = next(q);
      if (a instanceof Promise) return a.then((r) => storeFresh(q, r));
      return storeFresh(q, a);
    },
  };
}
