import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config.js';
import { createLogger } from './create-logger.js';
import { REQUEST_LINES, RequestLogging } from './request-logging.js';
import { TurnBatchedStdout } from './turn-batched-stdout.js';

/**
 * pino for everything: Nest's own logs through nestjs-pino's Logger, and the
 * request lines from a Fastify hook (cheaper than per-request middleware).
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const stdout =
      config.logLevel === 'silent' ? undefined : new TurnBatchedStdout();
    const logger = createLogger(config.logLevel, stdout);
    // Request lines share the logger's stream, so they interleave in order
    // with its other lines.
    const requestLines = logger.isLevelEnabled('info') ? stdout : undefined;
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })],
      providers: [
        { provide: REQUEST_LINES, useValue: requestLines ?? null },
        RequestLogging,
      ],
    };
  }
}
