import type { InjectOptions, LightMyRequestResponse } from 'fastify';

/** Anything with fastify's inject, whatever its type provider. */
export interface Injectable {
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** A small client over fastify.inject: the full HTTP pipeline (hooks, validation, errors) without a socket. */
export function apiClient(app: Injectable) {
  return async function call<T = any>(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, token?: string, body?: unknown): Promise<ApiAnswer<T>> {
    const res = await app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const type = String(res.headers['content-type'] ?? '');
    return { status: res.statusCode, body: (type.includes('json') ? res.json() : res.body) as T, headers: res.headers as ApiAnswer['headers'] };
  };
}

export const courtRuling = {
  kind: 'court_ruling',
  authority: 'Specialised Inter-District Administrative Court of Astana',
  documentNumber: '7194-26-00-4/1123',
  issuedAt: '2026-10-01',
  effectiveAt: '2026-10-12',
  provisions: [{ law: 'On communications', article: '41-1' }, 'On informational support, art. 8'],
  summary: 'Restriction of access to resources distributing prohibited content',
};
