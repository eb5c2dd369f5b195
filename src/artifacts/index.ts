export * from './job-code';
export * from './zip-writer';
export * from './job-artifact-builder';
export * from './versioned-job-artifact';
