import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The project venv's Python (an independent zip reader and cfn-lint); fails loudly when missing. */
export function venvBin(name: string): string {
  const bin = path.resolve(__dirname, '..', '..', 'jobs', '.venv', 'bin', name);
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`npx projen venv\` to create the Python venv (jobs/.venv)`);
  }
  return bin;
}

/** Runs a Python snippet with the venv's interpreter and parses its JSON stdout. */
export function pythonJson(code: string, ...args: string[]): any {
  const out = execFileSync(venvBin('python'), ['-c', code, ...args], { encoding: 'utf8' });
  return JSON.parse(out);
}
