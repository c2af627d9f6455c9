import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { logHead } from '../src/repositories/public-log-repository.js';
import { SHUTDOWN_RETRY_AFTER_SECONDS } from '../src/plugins/shutdown-plugin.js';

/**
 * Issue #10: Ctrl-C took ~29 s because close() waited out a gateway's 30 s long-poll. Now the
 * long-poll ends the moment close() begins, with 503 + Retry-After in the register's shape.
 */
let reg: TestRegister | undefined;
let base: string;
beforeAll(async () => {
  reg = await startTestRegister();
  base = await reg.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => reg?.close());

describe('stopping the register', () => {
  it('ends long-polls at once with a retry hint and closes in well under 3 s', async () => {
    const r = reg!;
    const head = (await logHead(r.database.db)).seq;
    const auth = { authorization: `Bearer ${r.tokens.isp}` };
    const polls = [1, 2, 3].map(() => fetch(`${base}/v1/feed/changes?since=${head}&wait=30`, { headers: auth }));
    await new Promise((res) => setTimeout(res, 300)); // all three are waiting now
    const started = Date.now();
    const closing = r.app.close();
    const answers = await Promise.all(polls);
    const answeredIn = Date.now() - started;
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe(String(SHUTDOWN_RETRY_AFTER_SECONDS));
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('REG_ERR_SHUTTING_DOWN');
      expect(body.error.message).toMatch(/stopping/);
    }
    await closing;
    const closedIn = Date.now() - started;
    expect(answeredIn).toBeLessThan(500);
    expect(closedIn).toBeLessThan(1000);
    await r.database.close();
    reg = undefined;
  });
});
