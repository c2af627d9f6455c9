import { HEADER_SIZE } from '../../wire/constants.js';
import type { RuleSet } from '../../rules/rule-set.js';
import { isEnforced } from '../../rules/rule-set.js';
import type { CoarseClock } from '../../../util/clock.js';
import type { BlockResponder } from '../block-responder.js';
import type { Answer, MaybePromise, Next, Query, Stage } from '../types.js';

/**
 * Before the cache: a name blocked after its answer was cached must be blocked at once, and
 * a blocked name must never reach an upstream (that would leak the query). The matcher is
 * read once per query, so an update swapped in meanwhile is seen whole or not at all.
 */
export function matchStage(rules: RuleSet, responder: BlockResponder, clock: CoarseClock): Stage {
  return {
    name: 'match',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      const m = rules.matcher;
      const h = m.matchWireName(q.buf, HEADER_SIZE);
      if (isEnforced(m, h, clock.now)) return responder.answer(q, m, h);
      return next(q);
    },
  };
}
