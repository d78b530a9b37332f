import type { RegistryEntity } from './registry.entity.js';

/**
 * The sealing context (AES-GCM additional data) of a registry's password: the row
 * and the origin (scheme, host and port) it was given for. A password sealed for
 * one origin does not open for another, so a `url` changed behind the API's back
 * (a database edit, a restored row) cannot send it to a new host either.
 */
export function passwordContext(registry: Pick<RegistryEntity, 'id' | 'url'>): string {
  return `registry:${registry.id}:password:${new URL(registry.url).origin}`;
}

/**
 * The context of passwords sealed before the origin was bound in. Such rows are
 * re-sealed once at start (RegistriesService.resealLegacyPasswords) under the
 * origin the row holds then; afterwards this context is never accepted again.
 */
export function legacyPasswordContext(registryId: string): string {
  return `registry:${registryId}:password`;
}

/** What of a registry decides where its password may be sent. */
export type PasswordBinding = Pick<
  RegistryEntity,
  'url' | 'insecureTls' | 'caCert' | 'tokenRealmHosts'
>;

/**
 * Why an update must carry the password again, or undefined. Moving the registry
 * to another origin, loosening how its certificate is checked, or letting another
 * token realm host have it changes who receives the stored password: only someone
 * who knows it may do that.
 */
export function passwordRequiredBecause(
  before: PasswordBinding,
  after: PasswordBinding,
): string | undefined {
  const reasons: string[] = [];
  if (new URL(before.url).origin !== new URL(after.url).origin) {
    reasons.push(`url moves to another origin (${new URL(after.url).origin})`);
  }
  if (after.insecureTls && !before.insecureTls) reasons.push('insecureTls is turned on');
  if ((after.caCert ?? null) !== (before.caCert ?? null)) reasons.push('caCert changes');
  const added = after.tokenRealmHosts.filter((h) => !before.tokenRealmHosts.includes(h));
  if (added.length) reasons.push(`tokenRealmHosts gains ${added.join(', ')}`);
  if (!reasons.length) return undefined;
  return (
    `password must be given again because ${reasons.join(' and ')}: ` +
    'the stored password is never sent to an endpoint it was not given for'
  );
}
