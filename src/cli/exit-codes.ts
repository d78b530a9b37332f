/**
 * The CLI's exit codes. Stable: CI pipelines branch on them.
 * - 0 done: the promotion succeeded (or the request was accepted, without --wait)
 * - 1 error: bad usage, unreachable server, authentication, a failed copy
 * - 2 refused: by a rule (409: a skipped stage, an immutable tag) or by a gate
 * - 3 waiting: still waiting (gates, its turn, or copying) when --wait's timeout ran out
 */
export const EXIT = { done: 0, error: 1, refused: 2, waiting: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code a promotion's status means. */
export function exitFor(status: string): ExitCode {
  if (status === 'succeeded') return EXIT.done;
  if (status === 'refused') return EXIT.refused;
  if (status === 'failed') return EXIT.error;
  return EXIT.waiting;
}

/** Ends the command with a code and a message for people (stderr). */
export class CliExit extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
    /** The API's error object, printed as it is with --json. */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

let last: ExitCode = EXIT.done;

/** Wraps a command's action: the code it returns becomes the process's exit code. */
export function outcome<A extends unknown[]>(
  action: (...args: A) => Promise<ExitCode>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    last = await action(...args);
  };
}

/** The exit code of the last action run. */
export function lastOutcome(): ExitCode {
  return last;
}
