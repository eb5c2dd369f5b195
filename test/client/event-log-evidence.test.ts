import { evidenceFromEventLog } from '../../src/client/event-log-evidence';

/**
 * The SQL scan metrics of an event log, on a hand-written log in Spark's JsonProtocol layout (the events and fields
 * are those of a Spark 4.0 log of `spark.read.parquet(a).join(spark.read.parquet(b))`, cut to what the reader uses).
 */
const SQL = 'org.apache.spark.sql.execution.ui.';

function scan(name: string, ids: { files: number; size: number; rows: number }): object {
  return {
    nodeName: `Scan parquet ${name}`,
    children: [],
    metrics: [
      { name: 'number of files read', accumulatorId: ids.files, metricType: 'sum' },
      { name: 'size of files read', accumulatorId: ids.size, metricType: 'size' },
      { name: 'number of output rows', accumulatorId: ids.rows, metricType: 'sum' },
    ],
  };
}

function task(stageId: number, taskId: number, accumulables: Array<[number, number]>, inputBytes: number): object {
  return {
    'Event': 'SparkListenerTaskEnd',
    'Stage ID': stageId,
    'Stage Attempt ID': 0,
    'Task End Reason': { Reason: 'Success' },
    'Task Info': {
      'Task ID': taskId,
      'Executor ID': 'driver',
      'Launch Time': 1000 + taskId,
      'Finish Time': 1100 + taskId,
      'Accumulables': accumulables.map(([ID, Update]) => ({ ID, Update: String(Update) })),
    },
    'Task Metrics': { 'Executor Run Time': 80, 'Executor Deserialize Time': 5, 'Input Metrics': { 'Bytes Read': inputBytes } },
  };
}

function log(): string {
  const plan = {
    nodeName: 'AdaptiveSparkPlan',
    metrics: [],
    children: [{
      nodeName: 'SortMergeJoin',
      metrics: [{ name: 'number of output rows', accumulatorId: 9, metricType: 'sum' }],
      children: [
        scan('a', { files: 11, size: 12, rows: 13 }),
        scan('b', { files: 21, size: 22, rows: 23 }),
      ],
    }],
  };
  const events: object[] = [
    { 'Event': 'SparkListenerLogStart', 'Spark Version': '4.0.1' },
    { 'Event': 'SparkListenerApplicationStart', 'App ID': 'local-1', 'Timestamp': 1000 },
    { 'Event': 'SparkListenerEnvironmentUpdate', 'Spark Properties': [['spark.master', 'local[2]']] },
    { 'Event': 'SparkListenerExecutorAdded', 'Executor ID': 'driver', 'Timestamp': 1000, 'Executor Info': { 'Total Cores': 2 } },
    { Event: `${SQL}SparkListenerSQLExecutionStart`, executionId: 0, sparkPlanInfo: plan },
    { Event: `${SQL}SparkListenerDriverAccumUpdates`, executionId: 0, accumUpdates: [[11, 300], [12, 530_000], [9999, 5]] },
    { Event: `${SQL}SparkListenerDriverAccumUpdates`, executionId: 0, accumUpdates: [[21, 4], [22, 8_000_000]] },
    // AQE re-plans: the same scans, the same metric ids
    { Event: `${SQL}SparkListenerSQLAdaptiveExecutionUpdate`, executionId: 0, sparkPlanInfo: plan },
    task(0, 1, [[13, 500]], 300_000),
    task(0, 2, [[13, 700]], 230_000),
    task(1, 3, [[23, 900]], 8_000_000),
    task(2, 4, [[9, 1200]], 0), // the join stage: no scan metric
    { Event: 'SparkListenerApplicationEnd', Timestamp: 2000 },
  ];
  return events.map(e => JSON.stringify(e)).join('\n') + '\n';
}

describe('event log evidence: SQL file scans', () => {
  test('each scan stage gets the files and bytes its scan read (driver-side metrics, linked by its tasks\' accumulables)', () => {
    const e = evidenceFromEventLog(log(), 'test.log');
    const byStage = Object.fromEntries(e.stages.map(s => [s.stageId, s]));
    expect([byStage[0].filesRead, byStage[0].fileBytesRead, byStage[0].numTasks, byStage[0].inputBytes]).toEqual([300, 530_000, 2, 530_000]);
    expect([byStage[1].filesRead, byStage[1].fileBytesRead]).toEqual([4, 8_000_000]);
    expect(byStage[2].filesRead).toBeUndefined();
    expect(byStage[2].fileBytesRead).toBeUndefined();
    // the task medians come from the shared helper: run times 80, 80 → 80
    expect(byStage[0].medianTaskTimeMs).toBe(80);
    // tasks launched at 1001..1004 ms, each 5 + 80 ms: all four overlap
    expect(e.peakConcurrentTasks).toBe(4);
  });
});
