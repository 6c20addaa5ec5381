import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { API_KEY_REQUIRED } from '../common/error-messages.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const digest = (value: string) => createHash('sha256').update(value).digest();

export const EXPECTED_API_KEY = Symbol('EXPECTED_API_KEY');

/**
 * Every write needs the API key, as `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`; reads stay open. Keys are compared by digest in
 * constant time, so the comparison leaks neither content nor length.
 * Registered only while `API_KEY` is set (see SecurityModule).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(EXPECTED_API_KEY) apiKey: string) {
    this.expected = digest(apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (!WRITE_METHODS.has(request.method)) return true;
    const given = presentedKey(request);
    if (given !== undefined && timingSafeEqual(digest(given), this.expected)) {
      return true;
    }
    void http
      .getResponse<FastifyReply>()
      .header('www-authenticate', 'Bearer realm="users-api"');
    throw new UnauthorizedException(API_KEY_REQUIRED);
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const { authorization, 'x-api-key': apiKey } = request.headers;
  const bearer = /^Bearer (.+)$/i.exec(authorization ?? '');
  if (bearer) return bearer[1];
  return typeof apiKey === 'string' ? apiKey : undefined;
}
