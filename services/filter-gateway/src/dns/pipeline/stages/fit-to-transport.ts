import { FLAG_TC, HEADER_SIZE } from '../../wire/constants.js';
import { plainOpt } from '../../wire/opt-record.js';
import type { Answer, MaybePromise, Next, Query, Stage } from '../types.js';

/**
 * Second, wrapping every answer producer: only here is the final size known. A reply larger
 * than the client's limit (512, or its EDNS buffer size, on UDP) goes out as header and
 * question with TC set, so the client retries over TCP (RFC 1035 4.2.1, RFC 6891 7).
 */
export function fitToTransportStage(): Stage {
  const fit = (q: Query, a: Answer): Answer => {
    const chunks = a.chunks;
    if (chunks === null) return a;
    let size = 0;
    for (let k = 0; k < chunks.length; k++) size += chunks[k]!.length;
    if (size <= q.maxSize) return a;
    const first = chunks[0]!;
    if (first.length < q.questionEnd || q.questionEnd < HEADER_SIZE) return a;
    first[2] = first[2]! | (FLAG_TC >> 8);
    first[6] = 0; first[7] = 0; first[8] = 0; first[9] = 0;
    first[10] = 0; first[11] = q.hasEdns ? 1 : 0;
    const head = first.subarray(0, q.questionEnd);
    a.chunks = q.hasEdns ? [head, plainOpt(q.ednsDo)] : [head];
    return a;
  };
  return {
    name: 'fit-to-transport',
    handle(q: Query, next: Next): MaybePromise<Answer> {
      const a = next(q);
      if (a instanceof Promise) return a.then((r) => fit(q, r));
      return fit(q, a);
    },
  };
}
