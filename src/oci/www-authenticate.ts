/** One challenge of a `WWW-Authenticate` header. Parameter names are lower-cased. */
export interface Challenge {
  scheme: 'basic' | 'bearer' | string;
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate`, which may hold several challenges separated by commas
 * that also separate parameters: `Bearer realm="r",service="s", Basic realm="x"`.
 * Quoted values may contain commas and escaped quotes (scopes do: `pull,push`).
 */
export function parseWwwAuthenticate(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const challenges: Challenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++;
  };
  const token = () => {
    const start = i;
    while (i < text.length && /[^\s,=]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  while (i < text.length) {
    skipSpace();
    const scheme = token();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    // Parameters until the next bare token that is not followed by '='.
    for (;;) {
      skipSpace();
      const save = i;
      const name = token();
      while (text[i] === ' ') i++;
      if (!name || text[i] !== '=') {
        i = save;
        break;
      }
      i++;
      while (text[i] === ' ') i++;
      challenge.params[name.toLowerCase()] = text[i] === '"' ? quoted() : token();
    }
  }
  return challenges;

  function quoted(): string {
    let value = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      value += text[i++];
    }
    i++;
    return value;
  }
}
