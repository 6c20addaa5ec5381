import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config.js';
import { createLogger } from './create-logger.js';
import { RequestLogging, ROOT_LOGGER } from './request-logging.js';

/**
 * pino for everything: Nest's own logs through nestjs-pino's Logger, and the
 * request lines from a Fastify hook (cheaper than per-request middleware).
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const logger = createLogger(config.logLevel);
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }, RequestLogging],
    };
  }
}
