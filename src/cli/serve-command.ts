import type { Command } from 'commander';
import { applyServerHeapDefaults } from './heap-defaults.ts';

/** Listening addresses that mean "every interface": no client can reach the server by them. */
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '[::]', '::']);

/** `opendirector serve [--demo]`: runs the server until SIGINT/SIGTERM, then shuts down gracefully. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the OpenDirector server (embedded SQLite unless OPENDIRECTOR_DATABASE_URL is set)')
    .option('--demo', 'seed a demo tenant with users, VDCs, vApps and about 50 VMs on first start')
    .addHelpText('after', '\nExample:\n  OPENDIRECTOR_PORT=8443 opendirector serve --demo\n')
    .action(async (opts: { demo?: boolean }) => {
      applyServerHeapDefaults();
      // Loaded here, not at the top: the other commands start without the server's dependencies.
      const { loadConfig, ConfigError } = await import('../config/index.ts');
      const { createServer } = await import('../server.ts');
      let config;
      try {
        config = loadConfig();
      } catch (e) {
        if (e instanceof ConfigError) {
          process.stderr.write(`opendirector: ${e.message}\n`);
          process.exit(2);
        }
        throw e;
      }
      const server = await createServer(config);
      if (!config.databaseUrl) server.services.logger.warn(`Using the embedded SQLite database in ${config.dataDir} (set OPENDIRECTOR_DATABASE_URL for PostgreSQL).`);
      if (WILDCARD_HOSTS.has(new URL(config.publicUrl).hostname)) {
        // Every href, LoginUrl and Link is built from the public URL (never from a request's Host),
        // so clients would be sent to an address that means "any interface" only on this machine.
        server.services.logger.warn(`Links point at ${config.publicUrl}, which clients elsewhere cannot reach: set OPENDIRECTOR_PUBLIC_URL to the address they use (e.g. https://cloud.example.com).`);
      }
      if (server.generatedAdminPassword) {
        process.stdout.write(`\nBootstrap: administrator@System password (shown once): ${server.generatedAdminPassword}\n\n`);
      }
      if (opts.demo) {
        const { seedDemo } = await import('../inventory/demo.ts');
        const summary = await seedDemo(server.services);
        process.stdout.write(`${summary}\n`);
      }
      const url = await server.listen();
      process.stdout.write(`OpenDirector listening on ${url} (portal: ${url}/, API: ${url}/api, ${url}/cloudapi)\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        server.services.logger.info({ signal }, 'shutting down: finishing in-flight requests');
        server.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
