import * as fs from 'fs';
import * as path from 'path';

/** One completed stage, from a Spark event log. */
export interface StageTime {
  readonly application: string;
  readonly stageId: number;
  readonly attempt: number;
  readonly name: string;
  readonly tasks: number;
  readonly durationMs: number;
}

/**
 * Every completed stage in the (uncompressed) event logs of a directory, longest first. Duration is
 * the stage's completion time minus its submission time, as the Spark UI shows it.
 */
export function stageTimes(eventLogDir: string): StageTime[] {
  const stages: StageTime[] = [];
  const files = fs.existsSync(eventLogDir) ? fs.readdirSync(eventLogDir).filter(f => !f.endsWith('.inprogress')) : [];
  for (const file of files) {
    const full = path.join(eventLogDir, file);
    if (!fs.statSync(full).isFile()) continue;
    let application = file;
    for (const line of fs.readFileSync(full, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line);
      if (event.Event === 'SparkListenerApplicationStart') application = event['App Name'] ?? file;
      if (event.Event !== 'SparkListenerStageCompleted') continue;
      const info = event['Stage Info'];
      if (info['Submission Time'] === undefined || info['Completion Time'] === undefined || info['Failure Reason']) continue;
      stages.push({
        application,
        stageId: info['Stage ID'],
        attempt: info['Stage Attempt ID'] ?? 0,
        name: info['Stage Name'],
        tasks: info['Number of Tasks'],
        durationMs: info['Completion Time'] - info['Submission Time'],
      });
    }
  }
  return stages.sort((a, b) => b.durationMs - a.durationMs);
}
