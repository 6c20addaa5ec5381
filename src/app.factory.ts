import { NestFactory } from '@nestjs/core';
import {
  FastifyAdapter,
  type NestFastifyApplication,
} from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { installJsonBodyParser } from './common/json-body-parser.js';
import type { AppConfig } from './config/app-config.js';
import { requestIdOf } from './logging/request-id.js';
import { applyHttpSecurity } from './security/http-security.js';
import { setupSwagger } from './swagger.js';

/** docs/API.md: a body over 100 kB is refused with 413. */
export const BODY_LIMIT_BYTES = 100_000;

/** Builds the application exactly as production runs it; tests use it too. */
export async function createApp(
  config: AppConfig,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      genReqId: requestIdOf,
      // request.ip (rate limit, request log) is the socket's address unless it
      // is a trusted proxy's: then the client X-Forwarded-For names after it.
      trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    }),
    // Our JSON parser only (below): no form parser from Nest.
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  // Bodies are JSON objects only: any other content type is refused with 415.
  fastify.removeContentTypeParser('text/plain');
  installJsonBodyParser(fastify);
  applyHttpSecurity(app, config);
  setupSwagger(app);
  return app;
}
