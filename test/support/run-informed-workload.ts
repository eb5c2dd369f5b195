import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** What one run of test/support/run_informed_workload.py reports (Spark's own numbers from its status store). */
export interface WorkloadRun {
  readonly application_id: string;
  readonly wall_seconds: number;
  readonly checksum: number;
  readonly memory_bytes_spilled: number;
  readonly disk_bytes_spilled: number;
  readonly executor_run_time_ms: number;
  /** Spark's summed executor CPU time: the work done, not inflated by tasks waiting for one of the local cores. */
  readonly executor_cpu_time_ms: number;
  readonly num_tasks: number;
}

const VENVS: Record<string, string> = { '4.0': '.venv', '3.5': '.venv-spark3.5' };

/** The venv Python of a Spark line; fails loudly when it is missing. */
export function sparkPython(line: string): string {
  const bin = path.resolve(__dirname, '..', '..', 'jobs', VENVS[line], 'bin', 'python');
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run SPARK_LINE=${line} bash jobs/scripts/setup-venv.sh`);
  return bin;
}

/** Runs one workload in its own local Spark application, writing its event log into `logDir`. */
export function runWorkload(line: string, workload: string, logDir: string, conf: Record<string, string>): Promise<WorkloadRun> {
  fs.mkdirSync(logDir, { recursive: true });
  const python = sparkPython(line);
  const script = path.join(__dirname, 'run_informed_workload.py');
  const args = [script, workload, `file://${logDir}`, ...Object.entries(conf).map(([k, v]) => `${k}=${v}`)];
  return new Promise((resolve, reject) => {
    execFile(python, args, { env: { ...process.env, PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${workload} on Spark ${line} failed: ${err.message}\n${stderr.split('\n').filter(l => !/ WARN /.test(l)).slice(-20).join('\n')}`));
          return;
        }
        const line0 = stdout.trim().split('\n').filter(l => l.startsWith('{')).pop();
        if (!line0) {
          reject(new Error(`${workload} on Spark ${line}: no result line in its output`));
          return;
        }
        resolve(JSON.parse(line0));
      });
  });
}
