import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api/client';
import type { WhoAmI } from '../api/types';
import { ErrorNotice, Notice } from '../components/notice';
import { session } from '../session';

/** Sign-in with an API token; the token's role (from /whoami) decides what the console offers. */
export function SignIn() {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const input = useRef<HTMLInputElement>(null);
  const ended = session.endedReason();
  useEffect(() => {
    document.title = 'Sign in · regrelay';
    input.current?.focus();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Paste an API token.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const who = await api<WhoAmI>('/api/v1/whoami', { token: value });
      session.start({ token: value, who });
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401
          ? 'This token is unknown, revoked or expired.'
          : errorText(e),
      );
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form
        class="card sign-in-card"
        onSubmit={(e) => void submit(e)}
        aria-labelledby="sign-in-title"
      >
        <h1 id="sign-in-title">
          <span class="brand-mark" aria-hidden="true" /> regrelay
        </h1>
        <p class="muted">Sign in with an API token.</p>
        {ended && !error && <Notice>{ended}</Notice>}
        <div class="field">
          <label for="token">API token</label>
          <input
            id="token"
            ref={input}
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={token}
            aria-describedby="token-hint"
            onInput={(e) => setToken(e.currentTarget.value)}
          />
          <p class="hint" id="token-hint">
            Kept in this browser tab only (session storage) and sent as a bearer token. A viewer
            token gives a read-only console. The first admin token is printed once when regrelay
            first starts; more are made with <code>POST /api/v1/tokens</code>.
          </p>
        </div>
        {error && <ErrorNotice message={error} />}
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
