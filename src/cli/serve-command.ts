import os from 'node:os';
import type { Command } from 'commander';
import { applyServerHeapDefaults } from './heap-defaults.ts';

/** Listening addresses that mean "every interface": no client can reach the server by them. */
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '[::]', '::']);

/** After the grace period and closing the connections, how long closing may still take. */
const HARD_EXIT_AFTER_GRACE_S = 5;

/**
 * On stderr, not only in the log: an operator who set the variable expects it to be the password,
 * and a script's `curl -s` would hide the failed login that follows.
 */
function warnAdminPasswordIgnored(): void {
  process.stderr.write([
    '',
    'WARNING: OPENDIRECTOR_ADMIN_PASSWORD is set but ignored: administrator@System already exists with another password.',
    '  The variable sets the password only on the first start (on an empty database).',
    '  To set it now, on this machine with this configuration: opendirector admin reset-password --password-stdin',
    '  (docs/deployment.md, "Recovering the administrator password"); then remove the variable.',
    '',
  ].join('\n') + '\n');
}

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
      const { createServer, createLogger } = await import('../server.ts');
      const { StartupError } = await import('../startup/startup-error.ts');
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
      const logger = createLogger(config.logLevel);
      // Until the server listens a signal just ends the process (nothing was acknowledged yet);
      // from then on it shuts down gracefully (below).
      let server: Awaited<ReturnType<typeof createServer>>;
      let url: string;
      try {
        server = await createServer(config, { logger });
        // Information, not a fault: the embedded database is the default set-up (docs/deployment.md).
        if (!config.databaseUrl) logger.info(`Using the embedded SQLite database in ${config.dataDir} (for several cells or a managed database, set OPENDIRECTOR_DATABASE_URL to use PostgreSQL).`);
        if (WILDCARD_HOSTS.has(new URL(config.publicUrl).hostname)) {
          // Every href, LoginUrl and Link is built from the public URL (never from a request's Host),
          // so clients would be sent to an address that means "any interface" only on this machine.
          logger.warn(`Links point at ${config.publicUrl}, which clients elsewhere cannot reach: set OPENDIRECTOR_PUBLIC_URL to the address they use (e.g. https://cloud.example.com).`);
        }
        // The administrator is created once the server listens (a start that fails creates none).
        url = await server.listen();
        if (server.generatedAdminPassword) {
          process.stdout.write(`\nBootstrap: administrator@System password (shown once): ${server.generatedAdminPassword}\n\n`);
        }
        if (server.adminPasswordIgnored) warnAdminPasswordIgnored();
        if (opts.demo) {
          const { seedDemo } = await import('../inventory/demo.ts');
          const summary = await seedDemo(server.services);
          process.stdout.write(`${summary}\n`);
        }
      } catch (e) {
        // One line on stderr, never a stack trace: what is wrong and, for the failures an
        // operator causes (StartupError), what to do. Anything else is a bug: its stack goes to
        // the log at debug level.
        if (e instanceof StartupError) {
          process.stderr.write(`opendirector: ${e.message}\n`);
        } else {
          logger.debug({ err: e }, 'start-up failed');
          process.stderr.write(`opendirector: could not start: ${e instanceof Error ? e.message : String(e)} (OPENDIRECTOR_LOG_LEVEL=debug shows where)\n`);
        }
        process.exit(1);
      }
      process.stdout.write(`OpenDirector listening on ${url} (portal: ${url}/, API: ${url}/api, ${url}/cloudapi)\n`);
      const managementUrl = server.managementUrl();
      if (managementUrl) process.stdout.write(`Management listener on ${managementUrl} (metrics: ${managementUrl}/metrics, probes: ${managementUrl}/health/ready)\n`);
      const running = server;
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          // The operator does not want to wait: acknowledged writes are already committed.
          logger.warn({ signal }, 'second signal: exiting now');
          process.exit(128 + (os.constants.signals[signal] ?? 0));
        }
        stopping = true;
        const graceMs = config.shutdownGraceSeconds * 1000;
        logger.info({ signal }, `shutting down: finishing in-flight requests (at most ${config.shutdownGraceSeconds} s; send ${signal} again to exit now)`);
        // A client that never finishes its request (or a response stuck on a dead peer) would
        // hold app.close() forever: after the grace period its connection is closed; a response
        // not sent by then was never acknowledged.
        setTimeout(() => {
          running.app.server.getConnections((_err, open) => {
            if (open > 0) logger.warn(`${open} connection(s) still busy after ${config.shutdownGraceSeconds} s: closing them`);
            running.app.server.closeAllConnections();
          });
        }, graceMs).unref();
        // And if closing still hangs (a database that stopped answering holds its connections),
        // the process ends anyway.
        setTimeout(() => {
          logger.error(`shutdown did not finish within ${config.shutdownGraceSeconds + HARD_EXIT_AFTER_GRACE_S} s (is the database answering?): exiting`);
          process.exit(1);
        }, graceMs + HARD_EXIT_AFTER_GRACE_S * 1000).unref();
        running.close().then(() => {
          logger.info('stopped');
          process.exit(0);
        }, (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
