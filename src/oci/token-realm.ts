import { ProtocolError, UntrustedRealmError } from './errors.js';

export interface RealmPolicy {
  /** The client's name for the registry, for errors. */
  registry: string;
  /** The registry's base URL: its scheme and host are what the realm is judged against. */
  baseUrl: URL;
  /** Hosts besides the registry's own that may receive its credentials. */
  tokenRealmHosts: readonly string[];
}

/**
 * Decides whether a realm named by the registry's `WWW-Authenticate` may be asked
 * for a token, and returns it parsed. The registry (or whoever answers for it)
 * chooses the realm, so without these rules an https registry could have the
 * password sent in clear to an http realm, or to any host at all:
 *
 * - an https registry's realm must be https (always: a token fetched in clear can
 *   be read and altered on the way);
 * - with credentials, the realm must be on the registry's own host (any port) or
 *   on a host listed in `tokenRealmHosts`;
 * - without credentials (anonymous tokens) any host will do: nothing secret goes.
 */
export function checkedRealm(realm: string, withCredentials: boolean, policy: RealmPolicy): URL {
  const context = { registry: policy.registry };
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new ProtocolError(`the token realm ${JSON.stringify(realm)} is not a URL`, context);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ProtocolError(`the token realm ${url.origin} is not http or https`, context);
  }
  if (policy.baseUrl.protocol === 'https:' && url.protocol === 'http:') {
    throw new UntrustedRealmError(
      `refused the token realm ${url.origin}${url.pathname}: it would downgrade this https registry to http`,
      {
        ...context,
        realm: realm,
        hint: 'The registry (or something answering for it) named a plain-http token service; fix its auth configuration to use https.',
      },
    );
  }
  const host = url.hostname.toLowerCase();
  const own = policy.baseUrl.hostname.toLowerCase();
  if (withCredentials && host !== own && !policy.tokenRealmHosts.includes(host)) {
    throw new UntrustedRealmError(
      `refused to send credentials to the token realm ${url.origin}${url.pathname}, on host ${host}, which is not this registry's host`,
      {
        ...context,
        realm: realm,
        hint: `If ${host} is this registry's token service (Docker Hub and Alibaba ACR use one on another host), add "${host}" to the registry's tokenRealmHosts.`,
      },
    );
  }
  return url;
}
