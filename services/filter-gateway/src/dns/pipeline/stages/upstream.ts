import type { UpstreamPool } from '../../upstream/upstream-pool.js';
import { materialise, servfail } from '../answers.js';
import type { Answer, Query, Stage } from '../types.js';

/**
 * Last: only allowed, uncached, not-yet-asked questions get here. When every upstream fails
 * within the pool's bound, the client gets SERVFAIL rather than silence, so it can move on.
 */
export function upstreamStage(pool: UpstreamPool): Stage {
  return {
    name: 'upstream',
    async handle(q: Query): Promise<Answer> {
      const res = await pool.resolve(q).catch(() => undefined);
      if (!res) return servfail(q);
      const a = materialise(res, q, 0, 'forwarded');
      a.fresh = res;
      return a;
    },
  };
}
