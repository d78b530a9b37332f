import { ApiError, errorText } from '../api/client';

/**
 * A refused save at the top of a form: each field the API named and why, or its
 * message. Focusable, so a failed submit can move focus here.
 */
export function FormErrors({ error, what }: { error: unknown; what: string }) {
  if (error === undefined) return null;
  const errors = error instanceof ApiError ? error.errors : [];
  return (
    <div class="notice error form-errors" role="alert" tabIndex={-1}>
      {errors.length ? (
        <>
          <p>The {what} was not saved:</p>
          <ul>
            {errors.map((e) => (
              <li key={e.field + e.reason}>
                <code>{e.field}</code>: {e.reason}
              </li>
            ))}
          </ul>
        </>
      ) : (
        errorText(error)
      )}
    </div>
  );
}

/** The reasons given for exactly `field`, and for `field` and anything under it. */
export function fieldReasons(error: unknown) {
  const errors = error instanceof ApiError ? error.errors : [];
  return {
    at: (field: string) => errors.filter((e) => e.field === field).map((e) => e.reason),
    under: (field: string) => (error instanceof ApiError ? error.reasonsFor(field) : []),
  };
}
