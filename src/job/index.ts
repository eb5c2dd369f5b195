export * from './spark-job-definition';
