import {
  FastifyAdapter,
  type NestFastifyApplication,
} from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { setupSwagger } from './swagger.js';

/** API.md: a body over 100 kB is refused with 413. */
export const BODY_LIMIT_BYTES = 100_000;

/** Builds the application exactly as production runs it; tests use it too. */
export async function createApp(
  config: AppConfig,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES }),
    // Fastify's own JSON parser stays; Nest's extra form parser does not.
    { bodyParser: false },
  );
  // Bodies are JSON only: anything else is refused with 415.
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  setupSwagger(app);
  return app;
}
