export * from './config';
export * from './artifacts';
export * from './job';
export * from './spark-operator';
export * from './emr-serverless';
export * from './local';
