/** Characters that make a POSIX shell split or expand a word. */
const NEEDS_QUOTES = /[^A-Za-z0-9_@%+=:,./-]/;

/**
 * Quotes one word for a POSIX shell (as spark-submit's argument list is parsed): unchanged when safe,
 * otherwise in single quotes with embedded single quotes written as '\''.
 */
export function quoteShellWord(word: string): string {
  if (word.length > 0 && !NEEDS_QUOTES.test(word)) return word;
  return `'${word.replace(/'/g, '\'\\\'\'')}'`;
}
