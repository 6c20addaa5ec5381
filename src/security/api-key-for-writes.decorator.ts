import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/api-error-responses.decorator.js';

export const API_KEY_HEADER_SCHEME = 'api-key';

/**
 * Documents that a write needs the API key while `API_KEY` is set, either
 * way the ApiKeyGuard accepts it. The guard itself covers every write.
 */
export const ApiKeyForWrites = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiSecurity(API_KEY_HEADER_SCHEME),
    ApiErrorResponses(401),
  );
