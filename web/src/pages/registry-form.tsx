import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api/client';
import type { CreatedRegistry, Registry } from '../api/types';
import { Dialog } from '../components/dialog';
import { CheckField, TextField } from '../components/field';
import { ErrorNotice } from '../components/notice';
import { SecretReveal } from '../components/secret-reveal';

interface RegistryFormProps {
  /** Absent: a new registry. */
  registry?: Registry;
  onClose: () => void;
  onSaved: () => void;
}

/** A number field's text as the API wants it: a number, or the text itself for the API to reject. */
function numberOrText(text: string): number | string | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Create or edit a registry; the API's reasons appear at their fields. */
export function RegistryForm({ registry, onClose, onSaved }: RegistryFormProps) {
  const [name, setName] = useState(registry?.name ?? '');
  const [url, setUrl] = useState(registry?.url ?? '');
  const [username, setUsername] = useState(registry?.username ?? '');
  const [password, setPassword] = useState('');
  const [clearPassword, setClearPassword] = useState(false);
  const [insecureTls, setInsecureTls] = useState(registry?.insecureTls ?? false);
  const [caCert, setCaCert] = useState(registry?.caCert ?? '');
  const [maxRequests, setMaxRequests] = useState(String(registry?.maxConcurrentRequests ?? ''));
  const [bandwidth, setBandwidth] = useState(String(registry?.bandwidthLimit ?? ''));
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedRegistry>();

  const reasons = (field: string) => (error instanceof ApiError ? error.reasonsFor(field) : []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (registry) {
        await api<Registry>(`/api/v1/registries/${registry.id}`, {
          method: 'PATCH',
          json: {
            name,
            url,
            username: username.trim() || null,
            ...(clearPassword ? { password: null } : password ? { password } : {}),
            insecureTls,
            caCert: caCert.trim() || null,
            maxConcurrentRequests: numberOrText(maxRequests),
            bandwidthLimit: numberOrText(bandwidth),
          },
        });
        onSaved();
        onClose();
      } else {
        const body: Record<string, unknown> = { name, url, insecureTls };
        if (username.trim()) body.username = username.trim();
        if (password) body.password = password;
        if (caCert.trim()) body.caCert = caCert;
        const max = numberOrText(maxRequests);
        if (max !== null) body.maxConcurrentRequests = max;
        const limit = numberOrText(bandwidth);
        if (limit !== null) body.bandwidthLimit = limit;
        setCreated(
          await api<CreatedRegistry>('/api/v1/registries', { method: 'POST', json: body }),
        );
        onSaved();
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return (
      <Dialog
        title={`Registry ${created.name} added`}
        onClose={onClose}
        footer={
          <button type="button" class="button primary" onClick={onClose}>
            Done
          </button>
        }
      >
        <SecretReveal label="Its webhook secret:" secret={created.webhookSecret} />
      </Dialog>
    );
  }

  const unmatched =
    error instanceof ApiError
      ? error.errors.filter(
          (e) =>
            ![
              'name',
              'url',
              'username',
              'password',
              'insecureTls',
              'caCert',
              'maxConcurrentRequests',
              'bandwidthLimit',
            ].includes(e.field),
        )
      : [];
  return (
    <Dialog
      title={registry ? `Edit registry ${registry.name}` : 'Add a registry'}
      onClose={onClose}
      wide
    >
      <form class="form" onSubmit={(e) => void submit(e)} noValidate>
        <div class="form-grid">
          <TextField
            label="Name"
            name="name"
            value={name}
            onInput={setName}
            errors={reasons('name')}
            hint="Lowercase letters, digits, . _ -; used in metrics and logs."
          />
          <TextField
            label="URL"
            name="url"
            value={url}
            onInput={setUrl}
            errors={reasons('url')}
            placeholder="https://registry.example:5000"
            hint="Scheme, host and port; no path."
          />
          <TextField
            label="Username"
            name="username"
            value={username}
            onInput={setUsername}
            errors={reasons('username')}
          />
          <TextField
            label={registry?.hasPassword ? 'New password' : 'Password'}
            name="password"
            type="password"
            value={password}
            onInput={setPassword}
            errors={reasons('password')}
            autoComplete="new-password"
            hint={
              registry?.hasPassword
                ? 'A password is stored; leave empty to keep it.'
                : 'Stored encrypted, never shown again.'
            }
          />
          {registry?.hasPassword && (
            <CheckField
              label="Remove the stored password"
              checked={clearPassword}
              onChange={setClearPassword}
            />
          )}
          <TextField
            label="Most requests at once"
            name="maxConcurrentRequests"
            value={maxRequests}
            onInput={setMaxRequests}
            errors={reasons('maxConcurrentRequests')}
            hint="Default 16."
          />
          <TextField
            label="Bandwidth limit (bytes/s)"
            name="bandwidthLimit"
            value={bandwidth}
            onInput={setBandwidth}
            errors={reasons('bandwidthLimit')}
            hint="Shared by every transfer to and from it; empty for none."
          />
          <CheckField
            label="Skip TLS certificate verification (lab use only)"
            checked={insecureTls}
            onChange={setInsecureTls}
            errors={reasons('insecureTls')}
          />
          <TextField
            label="CA certificates (PEM)"
            name="caCert"
            value={caCert}
            onInput={setCaCert}
            errors={reasons('caCert')}
            rows={4}
          />
        </div>
        {error !== undefined &&
          (!(error instanceof ApiError) || !error.errors.length || unmatched.length > 0) && (
            <ErrorNotice
              message={
                unmatched.length
                  ? unmatched.map((e) => `${e.field}: ${e.reason}`).join('; ')
                  : errorText(error)
              }
            />
          )}
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Saving…' : registry ? 'Save' : 'Add registry'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
