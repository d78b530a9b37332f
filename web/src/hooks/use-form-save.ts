import { useState } from 'preact/hooks';
import { navigate } from '../router';

/**
 * Saving a form: `busy` while the request runs, then on to the saved thing's page. A
 * refusal is kept as `error` (FormErrors shows the API's reasons at their fields) and
 * the error summary takes the focus, so a keyboard or screen-reader user hears why.
 */
export function useFormSave<T extends { id: string }>(pageOf: (saved: T) => string) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const save = async (request: () => Promise<T>) => {
    setBusy(true);
    setError(undefined);
    try {
      navigate(pageOf(await request()));
    } catch (e) {
      setError(e);
      setBusy(false);
      document.querySelector<HTMLElement>('.form-errors')?.focus();
    }
  };
  return { error, setError, busy, save };
}
