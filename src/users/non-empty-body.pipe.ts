import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** Rejects a body with no fields set; runs after validation has whitelisted it. */
@Injectable()
export class NonEmptyBodyPipe implements PipeTransform<object, object> {
  transform(body: object): object {
    if (Object.values(body).every((value) => value === undefined)) {
      throw new BadRequestException(
        'body must contain at least one of: name, email',
      );
    }
    return body;
  }
}
