/** Configuration: the schema of every option and the one loader. */
export { loadConfig, ConfigError } from './load-config.ts';
export { configOptions, clientEnvironmentVariables, type Config, type ConfigKey, type ClientEnvironmentVariable } from './schema.ts';
