import { NO_MATCH } from '@tizilim/shared';
import type { CoarseClock } from '../../../util/clock.js';
import { restrictedInAnswer } from '../../policy/restricted-in-answer.js';
import { isEnforced, type RuleSet } from '../../rules/rule-set.js';
import type { BlockResponder } from '../block-responder.js';
import type { Answer, MaybePromise, Next, Query, Stage } from '../types.js';

/**
 * After match and before the cache, so it wraps both answers that come from the cache and
 * answers that come from upstream: an A/AAAA inside an IP/CIDR rule, or a CNAME through a
 * restricted name, turns the answer into a block naming that rule (RFC-style response policy,
 * as RPZ's rpz-ip triggers do). The cache keeps answers as upstream gave them and this stage
 * judges them each time they are served, against the matcher of that moment: a rule added
 * after an answer was cached blocks it at once. The verdict is remembered on the stored answer
 * per matcher, so a cache hit walks its records only after the rules changed.
 * Synchronous answers stay synchronous (the batched UDP path answers cache hits in the batch).
 * The gateway's own lookups (transport `internal`: the SNI checker, the QUIC checker and the
 * block page) keep an answer whose only fault is a restricted address: they judge each address
 * themselves, so a name with one restricted and one free address still reaches the free one,
 * and a blocked connection names the IP rule's entry rather than failing to resolve. A CNAME
 * through a restricted name blocks their lookups as it blocks every client's.
 */
export function responsePolicyStage(rules: RuleSet, responder: BlockResponder, clock: CoarseClock): Stage {
  const judge = (q: Query, a: Answer): Answer => {
    const src = a.source;
    if (src === undefined || a.chunks === null) return a;
    const m = rules.matcher;
    let h: number;
    if (src.checkedBy === m) {
      h = src.checkedHandle;
    } else {
      h = restrictedInAnswer(src.wire, m, clock.now);
      src.checkedBy = m;
      src.checkedHandle = h;
    }
    if (h === NO_MATCH || !isEnforced(m, h, clock.now)) return a;
    if (q.transport === 'internal' && isAddressRule(m.ruleOf(h).kind)) return a;
    const blocked = responder.answer(q, m, h);
    // The cache stage (after this one) has already kept a.fresh; nothing to pass on.
    return blocked;
  };
  return {
    name: 'response-policy',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      const a = next(q);
      if (a instanceof Promise) return a.then((r) => judge(q, r));
      return judge(q, a);
    },
  };
}

function isAddressRule(kind: string): boolean {
  return kind === 'ip' || kind === 'cidr';
}
