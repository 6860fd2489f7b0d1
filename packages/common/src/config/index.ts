/** Flag specs, parsing, help and the common flags: `import { ... } from "#common/config/index.js"`. */
export { COMMON_FLAGS, LOG_LEVELS } from "./common-flags.js";
export { ConfigError } from "./config-error.js";
export { formatDuration, parseDuration } from "./duration.js";
export { formatHelp } from "./help.js";
export { loadServiceConfig } from "./load.js";
export type { LoadedConfig, LoadServiceConfigOptions } from "./load.js";
export { parseArgv, parseConfig } from "./parse.js";
export type { ParsedArgs } from "./parse.js";
export { configKey, defineFlags, envName, withDefaults } from "./spec.js";
export type { CamelCase, ConfigKey, ConfigOf, FlagSpec, FlagType } from "./spec.js";
