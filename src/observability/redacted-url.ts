/** Query parameters whose values never reach a log line (ACR's trigger URL carries the webhook secret). */
const SECRET_PARAMETERS = new Set(['secret']);

/**
 * A request URL (path and query) fit for logs: the value of every secret-carrying
 * query parameter replaced, however it is spelled (`Secret`, `secret[]`, percent-encoded).
 */
export function redactedUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // undecodable: compare as is
      }
      const bare = name.replace(/\[.*$/, '').trim().toLowerCase();
      return SECRET_PARAMETERS.has(bare) ? `${rawName}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}
