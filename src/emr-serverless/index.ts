export * from './application';
export * from './execution-role';
export * from './spark-job';
export * from './job-run-contract';
