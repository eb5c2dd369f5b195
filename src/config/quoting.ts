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

/**
 * Splits a string into words as a POSIX shell would (no expansion): single quotes keep everything,
 * double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes
 * the next character. The inverse of `quoteShellWord` joined with spaces. An unclosed quote is an error.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\'') {
      const end = text.indexOf('\'', i + 1);
      if (end === -1) throw new Error(`unclosed single quote at character ${i} of the spark-submit parameters`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1])) j++;
        word += text[j];
      }
      if (j >= text.length) throw new Error(`unclosed double quote at character ${i} of the spark-submit parameters`);
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
