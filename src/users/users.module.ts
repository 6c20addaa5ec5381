import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module.js';
import { IdempotencyKeysPurger } from './idempotency-keys-purger.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [CacheModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, IdempotencyKeysPurger],
})
export class UsersModule {}
