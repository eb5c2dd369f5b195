import { ConfigEntry, SparkTuningProps, WorkerShape } from '../types';

/**
 * Advice from a finished run (`spark-deploy tune --from-run ... --format json` prints it as `recommendation`),
 * for `SparkConfiguration.tune({ ..., fromRecommendation })`: the executor shape and properties to change, each
 * with its reason, so a pipeline applies the last run's advice and the configuration records why.
 */
export interface RunRecommendation {
  /** The run it was read from (event log path, metrics file or job run). */
  readonly source: string;
  /**
   * The executor worker or pod shape to use instead of `executor`.
   * @default - the `executor` prop
   */
  readonly executor?: WorkerShape;
  /**
   * Properties to set, as overrides below the user's own `overrides`. `spark.dynamicAllocation.maxExecutors` and
   * `spark.executor.instances` set the `maxExecutors` and `executorInstances` props (so the derived counts follow).
   * @default - none
   */
  readonly properties?: { [key: string]: string };
  /**
   * Why, per property: the rule and the numbers from the run. Shown as the property's reason.
   * @default - none
   */
  readonly reasons?: { [key: string]: string };
}

const COUNT_PROPS: Record<string, 'maxExecutors' | 'executorInstances'> = {
  'spark.dynamicAllocation.maxExecutors': 'maxExecutors',
  'spark.executor.instances': 'executorInstances',
};

/** The props with a recommendation folded in: its shape, its counts, its properties under the user's overrides. */
export function propsWithRecommendation(props: SparkTuningProps): SparkTuningProps {
  const rec = props.fromRecommendation;
  if (!rec) return props;
  const overrides: { [key: string]: string } = {};
  const counts: { maxExecutors?: number; executorInstances?: number } = {};
  for (const [key, value] of Object.entries(rec.properties ?? {})) {
    const prop = COUNT_PROPS[key];
    if (prop && props.maxExecutors === undefined && props.executorInstances === undefined) counts[prop] = Number(value);
    else if (!prop) overrides[key] = value;
  }
  return {
    ...props,
    ...counts,
    executor: rec.executor ?? props.executor,
    overrides: { ...overrides, ...(props.overrides ?? {}) },
  };
}

/** The entries with the recommendation's reasons on the keys it decided (the user's own overrides keep theirs). */
export function withRecommendationReasons(entries: ConfigEntry[], props: SparkTuningProps): ConfigEntry[] {
  const rec = props.fromRecommendation;
  if (!rec) return entries;
  const user = new Set(Object.keys(props.overrides ?? {}));
  return entries.map(e => {
    const why = rec.reasons?.[e.key];
    if (why === undefined || user.has(e.key)) return e;
    return { ...e, reason: `from the run ${rec.source}: ${why}` };
  });
}
