import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';

/**
 * A PATCH field that may be omitted (unchanged) or null (cleared); validated only
 * when it has a value.
 */
export function NullableOptional(options: ApiPropertyOptions = {}): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ nullable: true, ...options } as ApiPropertyOptions),
    ValidateIf((_, value) => value !== null),
    IsOptional(),
  );
}

/** An optional integer within bounds (the upper bound is optional). */
export function OptionalInt(min: number, max?: number): PropertyDecorator {
  return applyDecorators(IsOptional(), IsInt(), Min(min), ...(max === undefined ? [] : [Max(max)]));
}

/** An optional list of name patterns (globs or re:…), at least `minimum` when given. */
export function PatternList(minimum: 0 | 1): PropertyDecorator {
  const each = { each: true } as const;
  return applyDecorators(
    IsOptional(),
    IsArray(),
    ...(minimum ? [ArrayMinSize(minimum)] : []),
    ArrayMaxSize(100),
    IsString(each),
    Length(1, 500, each),
  );
}
