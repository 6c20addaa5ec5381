import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

const WELCOME = {
  message: 'Welcome to the users API',
  docs: '/docs',
} as const;

@ApiTags('welcome')
@Controller()
export class AppController {
  @Get()
  @ApiOperation({ summary: 'Welcome: where the API documentation is' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        message: { type: 'string', example: WELCOME.message },
        docs: { type: 'string', example: WELCOME.docs },
      },
    },
  })
  welcome(): typeof WELCOME {
    return WELCOME;
  }
}
