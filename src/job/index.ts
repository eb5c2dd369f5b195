export * from './spark-job-definition';
// The run contract's data types and output key; its render functions are used from TypeScript.
export {
  JOBS_OUTPUT_KEY, JobRunContract, JobRunSpec, StartJobRunFields, JobRunDriver, JobRunSparkSubmit, JobRunRetry,
  JobRunConfigurationOverrides, JobRunMonitoringFields, JobRunS3Monitoring, EmrRuntime,
} from './emr-job-run';
