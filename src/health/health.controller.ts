import {
  Controller,
  Get,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  type ApiResponseSchemaHost,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { Readiness } from './readiness.js';
import { RedisHealthIndicator } from './redis.health.js';

const DATABASE_TIMEOUT_MS = 1000;

type SchemaObject = ApiResponseSchemaHost['schema'];

const indicators: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
  },
};

/**
 * Terminus's own status while the application shuts down: nothing is checked,
 * the answer is 503 whatever PostgreSQL and Redis say.
 */
const SHUTTING_DOWN: HealthCheckResult = {
  status: 'shutting_down',
  info: {},
  error: {},
  details: {},
};

/** The Terminus body, with each indicator reduced to its status. */
const healthSchema = (redis: 'up' | 'down'): SchemaObject => ({
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] },
    info: indicators,
    error: indicators,
    details: indicators,
  },
  required: ['status', 'info', 'error', 'details'],
  example: healthExample(redis),
});

const healthExample = (redis: 'up' | 'down') => ({
  status: redis === 'up' ? 'ok' : 'error',
  info:
    redis === 'up'
      ? { database: { status: 'up' }, redis: { status: 'up' } }
      : { database: { status: 'up' } },
  error: redis === 'up' ? {} : { redis: { status: 'down' } },
  details: { database: { status: 'up' }, redis: { status: redis } },
});

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly state: Readiness,
  ) {}

  /** Terminus answers 503 by throwing; its body, not the error body, is the contract. */
  @Get(['', 'ready'])
  @ApiOperation({
    summary:
      'Readiness: PostgreSQL and Redis both answer (/health = /health/ready)',
  })
  @ApiOkResponse({ description: 'Ready.', schema: healthSchema('up') })
  @ApiResponse({
    status: 503,
    description:
      'PostgreSQL or Redis is down: named under `error`. Or the process is ' +
      'shutting down (`"status": "shutting_down"`, nothing checked): it still ' +
      'serves the requests it gets, for SHUTDOWN_DELAY_MS, while load ' +
      'balancers take it out.',
    schema: healthSchema('down'),
  })
  async readiness(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthCheckResult> {
    if (this.state.isWithdrawn) {
      void reply.status(503);
      return SHUTTING_DOWN;
    }
    try {
      return statusOnly(
        await this.health.check([
          () =>
            this.database
              .pingCheck('database')
              .withTimeout(DATABASE_TIMEOUT_MS),
          () => this.redis.isHealthy('redis'),
        ]),
      );
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return statusOnly(error.getResponse() as HealthCheckResult);
    }
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers; touches nothing' })
  @ApiOkResponse({
    description: 'Alive.',
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['ok'] } },
      required: ['status'],
      example: { status: 'ok' },
    },
  })
  live() {
    return { status: 'ok' };
  }
}

const strip = (
  section: Partial<HealthIndicatorResult> = {},
): HealthIndicatorResult =>
  Object.fromEntries(
    Object.entries(section).map(([key, value]) => [
      key,
      { status: value!.status },
    ]),
  );

/**
 * Keeps each indicator's status only: Terminus adds the driver's error text
 * (addresses, ports, socket errors) and timings, which are not for clients.
 */
function statusOnly(result: HealthCheckResult): HealthCheckResult {
  return {
    status: result.status,
    info: strip(result.info),
    error: strip(result.error),
    details: strip(result.details),
  };
}
