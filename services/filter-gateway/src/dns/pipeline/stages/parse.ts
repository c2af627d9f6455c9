import { TYPE_AXFR, TYPE_IXFR } from '../../wire/constants.js';
import {
  PARSE_BADVERS, PARSE_DROP, PARSE_FORMERR, PARSE_NOTIMP, parseQuery,
} from '../../wire/parse-query.js';
import { DROPPED, badvers, formerr, notimp, refused } from '../answers.js';
import type { Answer, MaybePromise, Next, Query, Stage } from '../types.js';

/**
 * Before anything that reads the question: every later stage may trust header, question and
 * EDNS fields. Malformed input ends here with FORMERR (or silence when not even the header
 * can be read, or when it is a response: answering responses invites reflection loops).
 */
export function parseStage(): Stage {
  return {
    name: 'parse',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      switch (parseQuery(q)) {
        case PARSE_DROP: return DROPPED;
        case PARSE_FORMERR: return formerr(q);
        case PARSE_NOTIMP: return notimp(q);
        case PARSE_BADVERS: return badvers(q);
      }
      // A forwarder has no zones to transfer; these also never fit in one UDP reply.
      if (q.qtype === TYPE_AXFR || q.qtype === TYPE_IXFR) return refused(q);
      return next(q);
    },
  };
}
