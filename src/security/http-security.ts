import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/app-config.js';

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // Swagger UI's stylesheet sets inline styles; its icons are data: URIs.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      // The service is often reached over plain HTTP (localhost, a LAN
      // host, behind a TLS proxy): upgrading would break Swagger UI there.
      upgradeInsecureRequests: null,
    },
  },
};

/**
 * The headers helmet sets, computed once. They do not depend on the request,
 * and building helmet per request (as @fastify/helmet does) took a fifth of
 * the CPU of a trivial route. Names are stored lower-case, as Fastify keeps
 * them: it then finds them already lower-cased, and every request shares the
 * same name strings instead of lower-casing twelve new ones.
 */
function securityHeaders(): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) =>
      (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(HELMET_OPTIONS)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    () => undefined,
  );
  return headers;
}

/**
 * Every response (errors and unknown routes included) carries the security
 * headers, with a content security policy Swagger UI works under, and its
 * request id (see requestIdOf) — set in one hook, as hooks cost per request.
 * CORS answers the configured origins only (off by default).
 */
export function applyHttpSecurity(
  app: NestFastifyApplication,
  config: AppConfig,
): void {
  const headers = securityHeaders();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.headers(headers).header('x-request-id', request.id);
      done();
    });
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: [
        'content-type',
        'authorization',
        'x-api-key',
        'x-request-id',
        'cache-control',
        'if-match',
        'if-none-match',
        'idempotency-key',
      ],
      exposedHeaders: [
        'location',
        'etag',
        'x-cache',
        'x-request-id',
        'retry-after',
        'idempotent-replayed',
      ],
      maxAge: 600,
    });
  }
}
