// Every name in a plan (OUs, accounts, policies, principals, tag values, drift text) comes from
// AWS or from a manifest, so anyone who can name an OU can write into a terminal or a PR comment.
// These helpers make such text inert: no terminal escapes, no HTML, no Markdown structure, no
// GitHub @mentions, and no way out of a code fence.

// C0/C1 controls (ANSI escapes, CR, backspace), line and paragraph separators, and the bidi
// overrides and isolates that reorder what a reviewer sees ("Trojan Source").
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAKS = /\r\n|[\r\n\u2028\u2029]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** For a terminal: control characters become visible \uXXXX escapes, so a name cannot recolour or rewrite the screen. */
export const termSafe = (s: string): string => s.replace(UNSAFE_CHARS, escapeChar);

/** One line of text with every control character made visible: line breaks cannot start a new Markdown block. */
export const oneLine = (s: string): string => s.replace(LINE_BREAKS, ' ').replace(UNSAFE_CHARS, escapeChar);

// CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
// or close Markdown structure (emphasis, code, links, headings, lists, tables, strikethrough).
const MD_PUNCTUATION = /[\\`*_{}[\]()#+\-.!|~]/g;

/**
 * Text for Markdown outside a code block (tables, lists, headings): HTML special characters as
 * entities, Markdown punctuation backslash-escaped, and a word joiner after "@" so GitHub does not
 * turn an account named "@org/admins" into a mention that notifies a team.
 */
export function mdText(s: string): string {
  return oneLine(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(MD_PUNCTUATION, '\\$&')
    .replace(/@(?=\w)/g, '@\u2060');
}

/**
 * A fenced code block around lines that are already one line each: nothing inside a fence is
 * Markdown or HTML, and the fence is longer than any run of backticks inside, so no line can close it.
 */
export function fenced(info: string, lines: string[]): string[] {
  const longest = Math.max(0, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length))));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${info}`, ...lines, fence];
}
