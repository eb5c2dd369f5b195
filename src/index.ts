export * from './config';
export * from './artifacts';
export * from './job';
