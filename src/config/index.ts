export * from './errors';
export * from './schema';
export { loadConfigFile, parseConfig, findLiteralSecrets } from './load';
export { configFromFlaggerValues } from './flagger-values';
