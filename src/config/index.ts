/** Configuration: the schema of every option and the one loader. */
export { loadConfig, ConfigError } from './load-config.ts';
export { configOptions, type Config, type ConfigKey } from './schema.ts';
