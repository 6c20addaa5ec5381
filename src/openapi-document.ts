import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { API_KEY_HEADER_SCHEME } from './security/api-key-for-writes.decorator.js';

/** Where the committed copy lives, for clients that generate SDKs from it. */
export const OPENAPI_FILE = 'docs/openapi.json';

/** The OpenAPI document of the app's routes, as /docs-json serves it. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('users-api')
      .setDescription(
        'Users REST API on NestJS, PostgreSQL and Redis. Errors are always `{statusCode, error, message}`.',
      )
      .setVersion('1.0.0')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'The API key, when the server sets `API_KEY`.',
      })
      .addApiKey(
        {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'The API key, when the server sets `API_KEY`.',
        },
        API_KEY_HEADER_SCHEME,
      )
      .build(),
  );
}

/**
 * The text of OPENAPI_FILE: the document with its keys in the order the
 * server sends them (fixed by the code), two-space indented, ending in a
 * newline, so the file changes exactly when the API does.
 */
export function openApiFileText(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
