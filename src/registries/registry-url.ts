/**
 * Normalises a registry base URL: http or https, host and optional port, nothing
 * else. Returns the reason when it is not one.
 */
export function normaliseRegistryUrl(input: string): { url: string } | { reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(input.trim());
  } catch {
    return { reason: 'must be an absolute URL such as https://registry.example.com' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { reason: 'must use http or https' };
  }
  if (parsed.username || parsed.password) {
    return { reason: 'must not carry credentials; use username and password' };
  }
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash) {
    return {
      reason: "must be the registry's base URL (scheme://host[:port]), without /v2 or any path",
    };
  }
  return { url: `${parsed.protocol}//${parsed.host}` };
}
