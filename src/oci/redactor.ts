/**
 * Removes secrets (password, the Basic header value, tokens) from text that came from
 * a registry or token server before it goes into an error message. Registries echo
 * odd things back; this is the last line of defence, not the only one.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private static readonly MAX_SECRETS = 64;

  add(secret: string | undefined): void {
    // Short strings would redact ordinary words; real secrets are longer.
    if (!secret || secret.length < 4) return;
    this.secrets.add(secret);
    if (this.secrets.size > Redactor.MAX_SECRETS) {
      const oldest = this.secrets.values().next().value;
      if (oldest !== undefined) this.secrets.delete(oldest);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    // Token-looking things we were never told about (a JWT echoed by a proxy).
    return out.replace(/\beyJ[\w-]{10,}\.[\w-]+\.[\w-]+/g, '***');
  }
}
