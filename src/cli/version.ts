/** The package version (shown by --version and in user agents). */
export { PACKAGE_VERSION as CLI_VERSION } from '../common/package-version.ts';
