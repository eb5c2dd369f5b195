// How the job runner's wait loop trades GetJobRun calls against how late it notices the end of a run,
// next to fixed-interval polling (emr-cli polls every 2 s; DSF's state machine waits 60 s per loop).
// The poll schedule is the runner's own Backoff (defaults: 2 s growing by 1.5 to 30 s, equal jitter,
// back to 2 s on every state change); the run is a timeline of state changes.
//
// Run: npx ts-node --transpile-only -P test/tsconfig.json bench/client-wait-loop.ts
import { Backoff } from '../src/client/backoff';

const TRIALS = 2000;
const START_UP_S = 20; // SUBMITTED -> RUNNING
const DURATIONS_S = [60, 300, 1800, 3600, 6 * 3600];

type Schedule = () => { next(): number; reset(): void };

/**
 * Polls a run that is RUNNING from START_UP_S to START_UP_S + duration + U(0, 60 s) (real runs do not end
 * on a poll boundary); returns the calls made and how late the end was seen (s).
 */
function simulate(duration: number, schedule: Schedule): { calls: number; lag: number } {
  const end = START_UP_S + duration + Math.random() * 60;
  const stateAt = (t: number) => (t < START_UP_S ? 'SUBMITTED' : t < end ? 'RUNNING' : 'SUCCESS');
  const poller = schedule();
  let t = 0;
  let calls = 1;
  let seen = stateAt(0);
  while (seen !== 'SUCCESS') {
    t += poller.next() / 1000;
    calls++;
    const state = stateAt(t);
    if (state !== seen) poller.reset();
    seen = state;
  }
  return { calls, lag: t - end };
}

const fixed = (ms: number): Schedule => () => ({ next: () => ms, reset: () => undefined });
const runner: Schedule = () => new Backoff();

function stats(values: number[]): { mean: number; p95: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p95: sorted[Math.floor(0.95 * (sorted.length - 1))] };
}

function row(duration: number, schedule: Schedule): string {
  const runs = Array.from({ length: TRIALS }, () => simulate(duration, schedule));
  const calls = stats(runs.map(r => r.calls));
  const lag = stats(runs.map(r => r.lag));
  return `${calls.mean.toFixed(0)} | ${lag.mean.toFixed(1)} s / ${lag.p95.toFixed(1)} s`;
}

const human = (s: number) => (s >= 3600 ? `${s / 3600} h` : `${s / 60} min`);
console.log(`Trials per cell: ${TRIALS}; start-up ${START_UP_S} s before RUNNING; run time + U(0, 60 s).\n`);
console.log('| run time | spark-deploy: GetJobRun calls | spark-deploy: lag mean / p95 | fixed 2 s: calls | fixed 2 s: lag mean / p95 | fixed 60 s: calls | fixed 60 s: lag mean / p95 |');
console.log('|---|---|---|---|---|---|---|');
for (const d of DURATIONS_S) {
  const [rc, rl] = row(d, runner).split(' | ');
  const [fc, fl] = row(d, fixed(2000)).split(' | ');
  const [sc, sl] = row(d, fixed(60_000)).split(' | ');
  console.log(`| ${human(d)} | ${rc} | ${rl} | ${fc} | ${fl} | ${sc} | ${sl} |`);
}
