// The EMR Serverless client is not re-exported from the package root: it uses AWS SDK types and
// callbacks, which jsii cannot expose. TypeScript users import it from 'spark-deploy/lib/client'.
export * from './aws-errors';
export * from './backoff';
export * from './deployed-jobs';
export * from './driver-logs';
export * from './job-run-request';
export * from './job-runner';
