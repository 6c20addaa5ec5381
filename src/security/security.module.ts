import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '../config/app-config.js';
import { ApiKeyGuard, EXPECTED_API_KEY } from './api-key.guard.js';

/** Guards writes with the API key when `API_KEY` is set; otherwise adds nothing. */
@Module({})
export class SecurityModule {
  static forRoot({ apiKey }: AppConfig): DynamicModule {
    if (apiKey === undefined) return { module: SecurityModule };
    return {
      module: SecurityModule,
      providers: [
        { provide: EXPECTED_API_KEY, useValue: apiKey },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
