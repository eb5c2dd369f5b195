export * from './local-spark-defaults';
