/**
 * Removes secrets (password, the Basic header value, tokens) from text that came from
 * a registry or token server before it goes into an error message. Registries echo
 * odd things back; this is the last line of defence, not the only one.
 *
 * Credentials are kept for the redactor's whole life. Tokens fetched from a realm
 * come and go (one per scope set, refreshed every few minutes), so only the most
 * recent ones are kept: enough to cover those in use, bounded in memory.
 */
export class Redactor {
  private readonly credentials = new Set<string>();
  private readonly tokens = new Set<string>();
  private static readonly MAX_TOKENS = 64;

  /** A value that must never be shown while this redactor lives (password, Basic value). */
  addCredential(secret: string | undefined): void {
    if (isRedactable(secret)) this.credentials.add(secret);
  }

  /** A short-lived token; the oldest beyond MAX_TOKENS are forgotten. */
  add(secret: string | undefined): void {
    if (!isRedactable(secret)) return;
    this.tokens.delete(secret); // re-added: it becomes the newest
    this.tokens.add(secret);
    if (this.tokens.size > Redactor.MAX_TOKENS) {
      const oldest = this.tokens.values().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first: a password inside a Basic value is cut with it, not before it.
    const secrets = [...this.credentials, ...this.tokens].sort((a, b) => b.length - a.length);
    for (const secret of secrets) out = out.split(secret).join('***');
    // Token-looking things we were never told about (a JWT echoed by a proxy).
    return out.replace(/\beyJ[\w-]{10,}\.[\w-]+\.[\w-]+/g, '***');
  }
}

/** Short strings would redact ordinary words; real secrets are longer. */
function isRedactable(secret: string | undefined): secret is string {
  return !!secret && secret.length >= 4;
}
