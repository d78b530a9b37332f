import { ConflictException, NotFoundException } from '@nestjs/common';

/** 404 naming the kind of thing and the id that was not found. */
export function notFound(kind: string, id: string): NotFoundException {
  return new NotFoundException(`${kind} ${id} does not exist`);
}

/** True for PostgreSQL's unique_violation (23505), optionally on one constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as {
    code?: string;
    driverError?: { code?: string; constraint?: string };
    constraint?: string;
  };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}

/** 409 for a name that is already taken. */
export function nameTaken(kind: string, name: string): ConflictException {
  return new ConflictException(`A ${kind} named ${JSON.stringify(name)} already exists`);
}
