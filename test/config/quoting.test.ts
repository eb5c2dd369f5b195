import { execFileSync } from 'child_process';
import { quoteShellWord, splitShellWords } from '../../src/config/quoting';

describe('quoteShellWord', () => {
  test.each([
    'spark.executor.memory=14g',
    'spark.executor.extraJavaOptions=-XX:+UseG1GC -Dlog4j.configuration=file:x',
    "spark.app.name=it's here",
    'a=$HOME `x` "y" \\z',
    '',
  ])('bash reads %p back as one word', word => {
    // An independent reader: bash itself splits the quoted word.
    const out = execFileSync('bash', ['-c', `printf '%s\\0' ${quoteShellWord(word)}`]).toString();
    expect(out.split('\0').slice(0, -1)).toEqual([word]);
  });
});

describe('splitShellWords', () => {
  test.each([
    '--conf spark.a=1 --conf \'spark.b=x y\' --py-files s3://b/p.zip',
    '--conf "spark.c=it\'s \\"quoted\\" \\$HOME" plain\\ word \'\'',
    '  leading   and trailing  ',
  ])('splits %p as bash does', line => {
    // The reference: bash's own word splitting of the same text (no expansion inside single quotes).
    const out = execFileSync('bash', ['-c', `printf '%s\\0' ${line}`]).toString();
    const expected = out === '\0' && line.trim() === '' ? [] : out.split('\0').slice(0, -1);
    expect(splitShellWords(line)).toEqual(expected);
  });

  test('an unclosed quote is an error', () => {
    expect(() => splitShellWords('--conf \'a=b')).toThrow(/unclosed single quote/);
    expect(() => splitShellWords('--conf "a=b')).toThrow(/unclosed double quote/);
  });
});
