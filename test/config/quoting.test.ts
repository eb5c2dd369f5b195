import { execFileSync } from 'child_process';
import { quoteShellWord } from '../../src/config/quoting';

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
