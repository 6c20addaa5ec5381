import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toHttpError } from './http-error.js';
import { loggableError } from './loggable-error.js';

/** Sends every error as `{statusCode, error, message}`; details go to the log only. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const error = toHttpError(exception);
    if (error.statusCode >= 500) {
      this.logger.error(
        {
          reqId: http.getRequest<FastifyRequest>().id,
          err: loggableError(exception),
        },
        'request failed',
      );
    }
    void reply.status(error.statusCode).send(error);
  }
}
