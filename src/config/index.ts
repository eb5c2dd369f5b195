export * from './types';
export * from './spark-configuration';
export { SparkRelease, EmrRelease, EmrReleaseFeatures, resolveEmrRelease, resolveSparkVersion, knownEmrReleaseLabels, SparkReleases, DEFAULT_EMR_RELEASE, DEFAULT_KUBERNETES_SPARK_VERSION } from './releases';
export { EmrWorkerRule, emrWorkerRules, emrWorkerSizes, EmrWorkers, EMR_STANDARD_DISK_GB, EMR_SHUFFLE_OPTIMIZED_DISK_GB } from './emr-serverless-workers';
export { parseSizeMiB, formatJvmSize, formatKubernetesQuantity, MemorySizes } from './sizes';
export { connectorPackages, ConnectorPackages } from './storage-properties';
export { TableFormat, IcebergCatalogKind, TableFormatOptions, TableFormatJar, TableFormatSupport, tableFormatSupport, emrBundledTableFormats, EmrBundledTableFormats, TableFormats, GLUE_CATALOG_ACTIONS } from './table-formats';
export { RunRecommendation } from './run-informed/apply-recommendation';
