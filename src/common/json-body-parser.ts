import createError from '@fastify/error';
import type { FastifyInstance } from 'fastify';

// Every body this API accepts is a flat object; deep nesting only exhausts
// the stack of the recursive transformers that run on it.
const MAX_BODY_DEPTH = 32;

const InvalidUtf8Error = createError(
  'USERS_ERR_BODY_NOT_UTF8',
  'body is not valid UTF-8',
  400,
);
const NotAnObjectError = createError(
  'USERS_ERR_BODY_NOT_OBJECT',
  'body must be a JSON object',
  400,
);
const TooDeepError = createError(
  'USERS_ERR_BODY_TOO_DEEP',
  `body nests deeper than ${MAX_BODY_DEPTH} levels`,
  400,
);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Replaces Fastify's JSON body parser with one that keeps its protections
 * (size limit, `__proto__`/`constructor` poisoning refused) and also refuses,
 * with 400, what would otherwise be stored mangled or crash validation:
 * invalid UTF-8 (decoded as U+FFFD otherwise), a body that is not an object,
 * and nesting deeper than MAX_BODY_DEPTH.
 */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request, body: Buffer, done) => {
      let text: string;
      try {
        text = utf8.decode(body);
      } catch {
        done(new InvalidUtf8Error(), undefined);
        return;
      }
      void parseJson(request, text, (error, value) => {
        if (error) done(error, undefined);
        else if (!isPlainObject(value)) done(new NotAnObjectError(), undefined);
        else if (nestsDeeperThan(value, MAX_BODY_DEPTH))
          done(new TooDeepError(), undefined);
        else done(null, value);
      });
    },
  );
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Iterative, so that measuring a deep value cannot overflow the stack itself. */
function nestsDeeperThan(root: object, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  return false;
}
