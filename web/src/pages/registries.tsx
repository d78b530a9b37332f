import { useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Registry } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Reachability, usePings } from '../components/reachability';
import { Dialog } from '../components/dialog';
import { ErrorNotice } from '../components/notice';
import { Loading, Page } from '../components/page';
import { SecretReveal } from '../components/secret-reveal';
import { formatBytes } from '../format';
import { useResource } from '../hooks/use-resource';
import { useCanWrite } from '../hooks/use-session';
import { Link } from '../router';
import { RegistryForm } from './registry-form';

type Open =
  | { kind: 'create' }
  | { kind: 'edit'; registry: Registry }
  | { kind: 'rotate'; registry: Registry }
  | { kind: 'secret'; registry: Registry; secret: string }
  | { kind: 'delete'; registry: Registry };

export function RegistriesPage() {
  const canWrite = useCanWrite();
  const registries = useResource((signal) => api<Registry[]>('/api/v1/registries', { signal }), []);
  const { pings, ping } = usePings(registries.reload);
  const [open, setOpen] = useState<Open>();

  const close = () => setOpen(undefined);
  return (
    <Page
      title="Registries"
      name="registries"
      ready={registries.data !== undefined}
      actions={
        canWrite && (
          <button type="button" class="button primary" onClick={() => setOpen({ kind: 'create' })}>
            Add registry
          </button>
        )
      }
    >
      {registries.error !== undefined && <ErrorNotice error={registries.error} />}
      {!registries.data && registries.loading && <Loading />}
      {registries.data?.length === 0 && (
        <p class="empty">
          No registries yet. {canWrite && 'Add the source and destination registries first.'}
        </p>
      )}
      {registries.data && registries.data.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col" class="hide-sm">
                  Credentials
                </th>
                <th scope="col">Reachability</th>
                <th scope="col" class="hide-sm">
                  Capabilities
                </th>
                <th scope="col" class="hide-sm">
                  Limits
                </th>
                {canWrite && (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {registries.data.map((r) => (
                <tr key={r.id} data-registry={r.name}>
                  <th scope="row">{r.name}</th>
                  <td class="mono wrap">{r.url}</td>
                  <td class="hide-sm">
                    {r.username
                      ? `${r.username}${r.hasPassword ? ' + password' : ''}`
                      : r.hasPassword
                        ? 'password'
                        : 'anonymous'}
                    {r.insecureTls && <span class="tag warn">TLS unverified</span>}
                  </td>
                  <td>
                    <Reachability registry={r} ping={pings[r.id]} />
                  </td>
                  <td class="hide-sm">
                    {r.capabilities ? (
                      <span class="tags">
                        {r.capabilities.catalog && <span class="tag">catalog</span>}
                        {r.capabilities.referrersApi && <span class="tag">referrers API</span>}
                        {r.capabilities.tagDelete && <span class="tag">tag delete</span>}
                      </span>
                    ) : (
                      <span class="muted">not probed</span>
                    )}
                  </td>
                  <td class="hide-sm">
                    {r.maxConcurrentRequests ?? 16} requests
                    {r.bandwidthLimit !== null && <>, {formatBytes(r.bandwidthLimit)}/s</>}
                  </td>
                  {canWrite && (
                    <td class="row-actions">
                      <button
                        type="button"
                        class="button small"
                        onClick={() => void ping(r)}
                        disabled={pings[r.id]?.pending}
                      >
                        Ping
                      </button>
                      <button
                        type="button"
                        class="button small"
                        onClick={() => setOpen({ kind: 'edit', registry: r })}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        class="button small"
                        onClick={() => setOpen({ kind: 'rotate', registry: r })}
                      >
                        Rotate webhook secret
                      </button>
                      <button
                        type="button"
                        class="button small danger"
                        onClick={() => setOpen({ kind: 'delete', registry: r })}
                      >
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open?.kind === 'create' && <RegistryForm onClose={close} onSaved={registries.reload} />}
      {open?.kind === 'edit' && (
        <RegistryForm registry={open.registry} onClose={close} onSaved={registries.reload} />
      )}
      {open?.kind === 'rotate' && (
        <ConfirmDialog
          title={`Rotate the webhook secret of ${open.registry.name}?`}
          confirmLabel="Rotate"
          onClose={close}
          onConfirm={async () => {
            const { webhookSecret } = await api<{ webhookSecret: string }>(
              `/api/v1/registries/${open.registry.id}/webhook-secret`,
              { method: 'POST', json: {} },
            );
            setOpen({ kind: 'secret', registry: open.registry, secret: webhookSecret });
          }}
        >
          <p>
            A new secret is generated and shown once. The current one stops working at once:
            notifications from {open.registry.name} are refused until it is configured with the new
            one.
          </p>
        </ConfirmDialog>
      )}
      {open?.kind === 'secret' && (
        <Dialog
          title={`New webhook secret for ${open.registry.name}`}
          onClose={close}
          footer={
            <button type="button" class="button primary" onClick={close}>
              Done
            </button>
          }
        >
          <SecretReveal label="The new webhook secret:" secret={open.secret} />
        </Dialog>
      )}
      {open?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete registry ${open.registry.name}?`}
          confirmLabel="Delete"
          danger
          onClose={close}
          onConfirm={async () => {
            await api(`/api/v1/registries/${open.registry.id}`, { method: 'DELETE' });
            close();
            registries.reload();
          }}
          renderError={(e) => <DeleteRefusal error={e} />}
        >
          <p>
            regrelay forgets <strong>{open.registry.name}</strong> ({open.registry.url}) and its
            stored credentials. Nothing in the registry itself is touched.
          </p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

function DeleteRefusal({ error }: { error: unknown }) {
  const policies =
    error instanceof ApiError && Array.isArray(error.body.policies)
      ? (error.body.policies as string[])
      : [];
  if (!policies.length) return <ErrorNotice error={error} />;
  return (
    <div class="notice error" role="alert">
      <p>Policies use this registry; remove it from them first:</p>
      <ul class="blocking-policies">
        {policies.map((name) => (
          <li key={name}>
            <Link href={`/policies?name=${encodeURIComponent(name)}`}>{name}</Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
