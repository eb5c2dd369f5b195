export * from './job-code';
export * from './job-artifact-builder';
export * from './versioned-job-artifact';
