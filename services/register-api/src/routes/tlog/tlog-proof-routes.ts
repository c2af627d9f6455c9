import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { consistencyProof } from '../../repositories/tlog-repository.js';
import { fieldError } from '../../errors/error-catalogue.js';
import { errorResponses } from '../../schemas/error-responses.js';

const base64Hashes = z.array(z.string()).describe('base64 SHA-256 hashes, leaf side first (RFC 9162 §2.1.3, §2.1.4)');
const treeSize = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A whole number written in decimal digits, within [min, MAX_SAFE_INTEGER]; otherwise a 400 naming `field`. */
function wholeNumber(field: string, text: unknown, min: number): number {
  const n = typeof text === 'string' && /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw fieldError(field, `must be a whole number ≥ ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** Inclusion and consistency proofs of the transparency log as JSON (RFC 9162 §2.1.3, §2.1.4). */
export const tlogProofRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/public/v1/log/consistency', {
    schema: {
      tags: ['public', 'transparency log'],
      summary: 'Consistency proof from the tree of `from` entries to the tree of `to` entries',
      description: 'Empty when from is 0 or from = to. 400 when from > to, 404 when to is beyond the log.',
      querystring: z.object({ from: treeSize, to: treeSize }),
      response: { 200: z.object({ from: z.number(), to: z.number(), hashes: base64Hashes }).meta({ id: 'ConsistencyProof' }), ...errorResponses(400, 404, 429) },
    },
    // As for inclusion below: the two sizes are decimal digits, checked by hand, so an empty
    // `from=` is not read as 0, nor ` 0x10` as 16, nor `1e2` as 100.
    validatorCompiler: () => (data) => ({ value: data }),
  }, async (request) => {
    const query = request.query as Record<string, unknown>;
    const from = wholeNumber('from', query['from'], 0);
    const to = wholeNumber('to', query['to'], 0);
    return consistencyProof(app.db, from, to, { cache: app.tlog.nodeCache });
  });

  app.get('/public/v1/log/:seq/inclusion', {
    schema: {
      tags: ['public', 'transparency log'],
      summary: 'Inclusion proof of entry `seq` (leaf seq − 1) in the tree of `treeSize` entries (default: the latest checkpoint)',
      description: 'The leaf is the entry\'s canonical body (`GET /public/v1/log/{seq}` minus prevHash/hash, or its bytes in the entry bundle), leaf hash SHA-256(0x00 ‖ body).',
      params: z.object({ seq: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
      querystring: z.object({ treeSize: treeSize.optional() }),
      response: {
        200: z.object({ seq: z.number(), leafIndex: z.number(), treeSize: z.number(), rootHash: z.string(), hashes: base64Hashes }).meta({ id: 'InclusionProof' }),
        ...errorResponses(400, 404, 429),
      },
    },
    // The schemas above document the route; on this hot path the handler checks the two numbers
    // itself (zod parsing both, and the answer, cost more than the proof from a warm cache).
    validatorCompiler: () => (data) => ({ value: data }),
  }, async (request, reply) => {
    const params = request.params as Record<string, unknown>;
    const query = request.query as Record<string, unknown>;
    const seq = wholeNumber('seq', params['seq'], 1);
    const size = query['treeSize'] === undefined ? undefined : wholeNumber('treeSize', query['treeSize'], 0);
    const proof = await app.tlog.inclusionProof(seq, size);
    // Base64 needs no JSON escaping: the answer is written directly, and a string skips the serializer.
    const body = `{"seq":${proof.seq},"leafIndex":${proof.leafIndex},"treeSize":${proof.treeSize},"rootHash":"${proof.rootHash}","hashes":${proof.hashes.length === 0 ? '[]' : `["${proof.hashes.join('","')}"]`}}`;
    // (typed as a plain reply: the schema's 200 type describes the object this string spells)
    return (reply as FastifyReply).type('application/json; charset=utf-8').send(body);
  });
};
