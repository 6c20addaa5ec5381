import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { AppModule } from './app.module.js';
import { loadConfig } from './config/load-config.js';
import {
  createOpenApiDocument,
  OPENAPI_FILE,
  openApiFileText,
} from './openapi-document.js';

// `npm run openapi`: writes the document /docs-json serves to OPENAPI_FILE
// (or to the path given). Preview mode builds the modules without creating
// their providers, so nothing connects to PostgreSQL or Redis; the defaults
// stand in for the configuration, which the document does not depend on.
const app = await NestFactory.create(
  AppModule.forRoot(loadConfig({})),
  new FastifyAdapter(),
  { preview: true, logger: false },
);
const path = process.argv[2] ?? OPENAPI_FILE;
writeFileSync(path, openApiFileText(createOpenApiDocument(app)));
await app.close();
process.stdout.write(`wrote ${path}\n`);
