import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/** One rejected input field, in the shape every 400 of the API uses. */
export interface FieldError {
  /** Path into the request body, e.g. `destinations[0].registryId`. */
  field: string;
  reason: string;
}

/** A 400 with a list of fields and reasons; services throw it for rules DTOs cannot express. */
export class InvalidInputException extends BadRequestException {
  constructor(readonly errors: FieldError[]) {
    super({
      statusCode: 400,
      error: 'Bad Request',
      message: errors.map((e) => `${e.field}: ${e.reason}`).join('; '),
      errors,
    });
  }
}

/**
 * The global pipe: unknown fields are rejected (a typo must not be silently
 * ignored), payloads become DTO instances, and errors name each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new InvalidInputException(flatten(errors)),
  });
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
