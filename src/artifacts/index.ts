export * from './job-code';
export * from './job-artifact-builder';
export * from './versioned-job-artifact';
export * from './python-target';
export * from './python-tools';
export * from './dependency-archive';
export * from './runtime-dependencies';
