import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<DB>;
  }
}

/** Makes the database available to every route; its lifecycle belongs to whoever opened it. */
export const dbPlugin = fp(async (app: FastifyInstance, opts: { db: Kysely<DB> }) => {
  app.decorate('db', opts.db);
}, { name: 'db' });
