export * from './application';
export * from './execution-role';
export * from './spark-job';
export { JOBS_OUTPUT_KEY, JobRunContract } from './job-outputs';
