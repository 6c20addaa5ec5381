import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsEmail,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { INVALID_EMAIL } from '../../common/error-messages.js';

const NAME_MAX_LENGTH = 100;
export const EMAIL_MAX_LENGTH = 120;

const trim = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

const trimAndLowerCase = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

// Query strings arrive as text; only plain decimal integers become numbers,
// so "1.5", "1e3", "" and repeated parameters still fail validation.
const decimalInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d{1,16}$/.test(value)
    ? Number(value)
    : value;

/**
 * Rejects lone surrogates: PostgreSQL would store them as U+FFFD, and
 * validators that percent-encode (IsEmail) throw on them. Goes first.
 */
const IsWellFormedText = () =>
  ValidateBy({
    name: 'isWellFormedText',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value.isWellFormed(),
      defaultMessage: () => '$property must be valid Unicode text',
    },
  });

/**
 * At most `max` Unicode code points, as PostgreSQL's varchar(n) counts them
 * (class-validator's MaxLength discounts variation selectors).
 */
const MaxCodePoints = (max: number) =>
  ValidateBy({
    name: 'maxCodePoints',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && codePointCount(value) <= max,
      defaultMessage: () => `$property must be at most ${max} characters`,
    },
  });

function codePointCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    // A surrogate pair is one code point: count its high half only.
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count += 1;
  }
  return count;
}

interface FieldOptions {
  readonly required: boolean;
}

/** A person's name: trimmed, 1-100 characters, no control characters. */
export const NameField = () =>
  applyDecorators(
    ApiProperty({
      description: 'Trimmed; 1 to 100 characters.',
      example: 'Alice',
      minLength: 1,
      maxLength: NAME_MAX_LENGTH,
    }),
    Transform(trim),
    IsString(),
    IsWellFormedText(),
    MinLength(1, { message: 'name must not be empty' }),
    MaxCodePoints(NAME_MAX_LENGTH),
    Matches(/^\P{Cc}*$/u, {
      message: 'name must not contain control characters',
    }),
  );

/** An e-mail address: trimmed, stored lower-cased, at most 120 characters. */
export const EmailField = ({ required }: FieldOptions) =>
  applyDecorators(
    ApiProperty({
      description:
        'Trimmed and lower-cased; unique case-insensitively; at most 120 characters.',
      example: 'alice@mail.com',
      format: 'email',
      maxLength: EMAIL_MAX_LENGTH,
      required,
    }),
    // Absent is fine when optional; an explicit null is still validated.
    ...(required
      ? []
      : [ValidateIf((_object, value: unknown) => value !== undefined)]),
    Transform(trimAndLowerCase),
    IsString(),
    IsWellFormedText(),
    MaxCodePoints(EMAIL_MAX_LENGTH),
    IsEmail({}, { message: INVALID_EMAIL }),
  );

/** An integer query parameter in [min, max], with a default. */
export const IntegerQueryField = (
  min: number,
  max: number,
  defaultValue: number,
  description: string,
) =>
  applyDecorators(
    ApiProperty({
      type: 'integer',
      minimum: min,
      maximum: max,
      default: defaultValue,
      required: false,
      description,
    }),
    Transform(decimalInteger),
    IsInt(),
    Min(min),
    Max(max),
  );
