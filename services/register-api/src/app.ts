import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DB } from './db/schema.js';
import { dbPlugin } from './plugins/db-plugin.js';
import { authPlugin } from './plugins/auth-plugin.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { metricsPlugin } from './plugins/metrics-plugin.js';
import { openApiPlugin } from './plugins/openapi-plugin.js';
import { healthRoutes } from './routes/health/health-routes.js';
import { userRoutes } from './routes/users/user-routes.js';
import { legalBasisRoutes } from './routes/legal-bases/legal-basis-routes.js';
import { decisionRoutes } from './routes/decisions/decision-routes.js';
import { resourceStateRoutes } from './routes/resources/resource-state-routes.js';
import { auditRoutes } from './routes/audit/audit-routes.js';

export interface AppOptions {
  db: Kysely<DB>;
  logger: Logger | false;
  /** Trust X-Forwarded-For from a load balancer in front (audit records the client address). */
  trustProxy?: boolean;
}

export async function buildApp(options: AppOptions) {
  const app = Fastify({
    loggerInstance: options.logger === false ? pino({ enabled: false }) : options.logger,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(errorHandlerPlugin);
  await app.register(dbPlugin, { db: options.db });
  await app.register(authPlugin);
  await app.register(metricsPlugin);
  await app.register(openApiPlugin);

  await app.register(healthRoutes);
  await app.register(userRoutes);
  await app.register(legalBasisRoutes);
  await app.register(decisionRoutes);
  await app.register(resourceStateRoutes);
  await app.register(auditRoutes);
  return app;
}
