import { startTestRegister } from '@tizilim/register-api/testing/test-register';
import type { RegisterHandle } from './rpz-subscription.js';

/** A register on its own clone of the test template, listening on loopback (vitest runs only). */
export async function testRegisterHandle(): Promise<RegisterHandle> {
  const reg = await startTestRegister();
  const url = await reg.app.listen({ host: '127.0.0.1', port: 0 });
  return { url, tokens: reg.tokens, close: () => reg.close() };
}
