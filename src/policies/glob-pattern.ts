import { RE2JS } from 're2js';

/** A filter pattern that does not compile. */
export class InvalidPatternError extends Error {
  override name = 'InvalidPatternError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid pattern ${JSON.stringify(pattern)}: ${reason}`);
  }
}

/** One path segment of a brace-free glob: `**`, or a glob within one segment. */
export type GlobSegment = { globstar: true } | { globstar: false; regex: string };

/** More alternatives than this from `{a,b}` groups is refused (they multiply). */
const MAX_ALTERNATIVES = 256;

/**
 * Translates a glob (`*` within one path segment, `**` as a whole segment across
 * any number of them, `?`, `{a,b}` (nestable, may hold `/`), `[abc]`, `[!a-z]`,
 * `\` escapes) into RE2 syntax, matched against the whole name.
 *
 * Globs used to go through picomatch, whose output is a backtracking RegExp: a
 * tag filter like `*-*-*-*-*-x` takes polynomial time against a long tag of dashes
 * that anyone who can push chooses. RE2 matches in linear time; the semantics
 * of the documented syntax are the same (the spec compares both).
 */
export function globToRegex(pattern: string): string {
  return expandBraces(pattern)
    .map((alternative) => `(?:${segmentsToRegex(globSegments(pattern, alternative))})`)
    .join('|');
}

/**
 * The brace-free alternatives of a glob: `{a,b}/x` → `a/x`, `b/x`. A `{` without a
 * top-level comma is literal, as in picomatch and the shell.
 */
export function expandBraces(pattern: string): string[] {
  rejectUnsupported(pattern);
  const expanded = expand(pattern, pattern);
  if (expanded.length > MAX_ALTERNATIVES) {
    throw new InvalidPatternError(
      pattern,
      `{a,b} groups expand to more than ${MAX_ALTERNATIVES} alternatives; use fewer or a re: pattern`,
    );
  }
  return expanded;
}

/** Splits a brace-free glob into segments, each translated to RE2 syntax. */
export function globSegments(pattern: string, alternative: string): GlobSegment[] {
  const segments: GlobSegment[] = [];
  for (const text of splitSegments(alternative)) {
    if (text === '**') {
      // `a/**/**/b` is `a/**/b`.
      if (!segments.at(-1)?.globstar) segments.push({ globstar: true });
      continue;
    }
    segments.push({ globstar: false, regex: segmentToRegex(pattern, text) });
  }
  return segments;
}

/** Joins segments: `**` matches zero or more whole segments wherever it stands. */
export function segmentsToRegex(segments: GlobSegment[]): string {
  if (segments.length === 1 && segments[0]!.globstar) return '.*';
  let out = '';
  let separate = false;
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment.globstar) {
      if (last) out += '(?:/.*)?';
      else out += i === 0 ? '(?:.*/)?' : '/(?:.*/)?';
      separate = false;
      return;
    }
    out += (separate ? '/' : '') + segment.regex;
    separate = true;
  });
  return out;
}

/** True when the glob has no wildcard, brace or escape: it names exactly itself. */
export function isLiteralGlob(pattern: string): boolean {
  return !/[*?[\]{}()!+@\\]/.test(pattern);
}

/** Does a glob segment (RE2 source from `globSegments`) match this literal segment? */
export function segmentMatches(regex: string, segment: string): boolean {
  return RE2JS.compile(regex).testExact(segment);
}

function rejectUnsupported(pattern: string): void {
  if (pattern.startsWith('!')) {
    throw new InvalidPatternError(
      pattern,
      'a leading "!" (negation) is not supported; put the pattern in the exclude list',
    );
  }
  if (/(^|[^\\])[()|]/.test(pattern)) {
    throw new InvalidPatternError(
      pattern,
      'extglobs such as +(a|b) are not supported; use {a,b} or a re: pattern',
    );
  }
}

function expand(pattern: string, text: string): string[] {
  const open = findBraceGroup(text);
  if (!open) return [text];
  const { start, end, options } = open;
  const head = text.slice(0, start);
  const tails = expand(pattern, text.slice(end + 1));
  const out: string[] = [];
  for (const option of options) {
    if (/^-?\d+\.\.-?\d+$|^[a-z]\.\.[a-z]$/i.test(option) && options.length === 1) {
      throw new InvalidPatternError(
        pattern,
        'brace ranges ({1..3}) are not supported; list the values',
      );
    }
    for (const inner of expand(pattern, option)) {
      for (const tail of tails) {
        out.push(head + inner + tail);
        if (out.length > MAX_ALTERNATIVES) return out;
      }
    }
  }
  return out;
}

/** The first `{…}` group with a top-level comma (or a range), with its options. */
function findBraceGroup(
  text: string,
): { start: number; end: number; options: string[] } | undefined {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '[') {
      i = closingBracket(text, i) ?? i;
      continue;
    }
    if (ch !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '\\') {
        j++;
      } else if (c === '{') {
        depth++;
      } else if (c === '}') {
        depth--;
        if (depth === 0) {
          const body = text.slice(i + 1, j);
          if (commas.length) {
            const bounds = [i, ...commas, j];
            const options = bounds.slice(1).map((b, k) => text.slice(bounds[k]! + 1, b));
            return { start: i, end: j, options };
          }
          if (body.includes('..')) return { start: i, end: j, options: [body] };
          break;
        }
      } else if (c === ',' && depth === 1) {
        commas.push(j);
      }
    }
  }
  return undefined;
}

function splitSegments(text: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[++i];
    } else if (ch === '/') {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return segments;
}

function segmentToRegex(pattern: string, segment: string): string {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '\\') {
      const next = segment[++i];
      if (next === undefined) throw new InvalidPatternError(pattern, 'ends with a lone "\\"');
      out += RE2JS.quote(next);
    } else if (ch === '*') {
      while (segment[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const end = closingBracket(segment, i);
      if (end === undefined) {
        throw new InvalidPatternError(pattern, `"[" at ${i} has no closing "]"`);
      }
      out += bracketToRegex(segment.slice(i + 1, end));
      i = end;
    } else {
      out += RE2JS.quote(ch);
    }
  }
  return out;
}

/** Index of the `]` closing the class that opens at `start`, or undefined. */
function closingBracket(text: string, start: number): number | undefined {
  let i = start + 1;
  if (text[i] === '!' || text[i] === '^') i++;
  // A `]` right after the opening (or its negation) is a literal member.
  if (text[i] === ']') i++;
  for (; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '[' && text[i + 1] === ':') {
      const close = text.indexOf(':]', i + 2);
      if (close !== -1) i = close + 1;
    } else if (text[i] === ']') return i;
    else if (text[i] === '/') return undefined;
  }
  return undefined;
}

function bracketToRegex(body: string): string {
  let negated = false;
  let rest = body;
  if (rest.startsWith('!') || rest.startsWith('^')) {
    negated = true;
    rest = rest.slice(1);
  }
  let members = '';
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i]!;
    if (ch === '\\' && i + 1 < rest.length) {
      members += '\\' + rest[++i];
    } else if (ch === '[' && rest[i + 1] === ':') {
      const close = rest.indexOf(':]', i + 2);
      members += rest.slice(i, close + 2);
      i = close + 1;
    } else if (ch === '-' && i > 0 && i < rest.length - 1) {
      members += '-';
    } else {
      members += /[\w]/.test(ch) ? ch : '\\' + ch;
    }
  }
  // A class never matches the separator: `*` and `?` do not either.
  return negated ? `[^/${members}]` : `[${members}]`;
}
