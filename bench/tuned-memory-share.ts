/**
 * For every valid EMR Serverless worker size: the share of worker memory the tuned executor uses,
 * next to EMR's own defaults (4 cores, 14g executor, 10% overhead).
 *
 *   npx ts-node --transpile-only -P test/tsconfig.json bench/tuned-memory-share.ts
 */
import { DeploymentTarget, emrWorkerSizes, SparkConfiguration } from '../src';

const EMR_DEFAULT_HEAP_MIB = 14 * 1024;
const EMR_DEFAULT_CONTAINER_MIB = EMR_DEFAULT_HEAP_MIB + Math.max(384, Math.ceil(0.1 * EMR_DEFAULT_HEAP_MIB));

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const rows: string[] = [];
rows.push('| worker | tuned heap | tuned heap + overhead | share used (tuned) | heap share (tuned) | EMR default 14g: share used | EMR default: heap share |');
rows.push('|---|---|---|---|---|---|---|');
let tunedSum = 0;
let defaultSum = 0;
let defaultFits = 0;
const sizes = emrWorkerSizes();
for (const { cpu, memoryGb } of sizes) {
  const config = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu, memoryGb } });
  const worker = memoryGb * 1024;
  const used = config.executor.heapMiB + config.executor.overheadMiB;
  tunedSum += used / worker;
  const fits = EMR_DEFAULT_CONTAINER_MIB <= worker;
  if (fits) {
    defaultSum += EMR_DEFAULT_CONTAINER_MIB / worker;
    defaultFits++;
  }
  rows.push(`| ${cpu} vCPU / ${memoryGb} GB | ${config.executor.memory} | ${used} MiB | ${pct(used / worker)} | ${pct(config.executor.heapMiB / worker)} | ` +
    `${fits ? pct(EMR_DEFAULT_CONTAINER_MIB / worker) : 'does not fit (15.4 GB > worker)'} | ${fits ? pct(EMR_DEFAULT_HEAP_MIB / worker) : '-'} |`);
}
console.log(rows.join('\n'));
console.log();
console.log(`sizes: ${sizes.length}; mean share used, tuned: ${pct(tunedSum / sizes.length)}; ` +
  `EMR default 14g: fits ${defaultFits}/${sizes.length} sizes, mean share where it fits: ${pct(defaultSum / defaultFits)}`);
