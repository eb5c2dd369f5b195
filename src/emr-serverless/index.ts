export * from './application';
export * from './execution-role';
export * from './spark-job';
