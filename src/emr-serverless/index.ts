export * from './application';
export * from './execution-role';
export * from './spark-job';
export * from './application-base';
export * from './application-options';
export * from './application-props';
