export * from './job-code';
