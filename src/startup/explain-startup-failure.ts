import { StartupError } from './startup-error.ts';
import { redactDatabaseUrl } from './redact-database-url.ts';
import { isPgConnectTimeout } from '../storage/database-unavailable.ts';

/** The fields of a Node system error or a `pg` server error that tell what went wrong. */
interface ErrorFields { code?: unknown; message?: unknown; syscall?: unknown; path?: unknown }

function fieldsOf(err: unknown): ErrorFields {
  return typeof err === 'object' && err !== null ? err as ErrorFields : {};
}

/**
 * PostgreSQL could not be used at start-up (first connection: migrations). Names the server
 * (password hidden), what failed and what to do. pg's own messages are safe to repeat: they name
 * the user or database, never the password. Returns the error itself when it is not a database
 * connection problem (a failing migration is a bug, not a configuration mistake).
 */
export function explainDatabaseFailure(err: unknown, databaseUrl: string, connectTimeoutSeconds?: number): unknown {
  const { code, message } = fieldsOf(err);
  const where = `PostgreSQL at ${redactDatabaseUrl(databaseUrl)}`;
  const fix = 'check OPENDIRECTOR_DATABASE_URL';
  // pg's connection timeout (db.ts): the host took the connection, or silently dropped it, and
  // never answered. Not a TLS problem, although pg words it "Connection terminated …".
  if (isPgConnectTimeout(err)) {
    const within = connectTimeoutSeconds === undefined ? '' : ` within ${connectTimeoutSeconds} s (OPENDIRECTOR_DATABASE_CONNECT_TIMEOUT_SECONDS)`;
    return new StartupError(`cannot connect to ${where}: no answer${within}. Is the host up and PostgreSQL listening on that port, and does no firewall drop the packets? (${fix})`, { cause: err });
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new StartupError(`cannot connect to ${where}: connection refused. Is PostgreSQL running and listening there? (${fix})`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`cannot connect to ${where}: the host name does not resolve (${fix})`, { cause: err });
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
      return new StartupError(`cannot connect to ${where}: ${String(code)} (${fix}, and that no firewall is in the way)`, { cause: err });
    case 'ERR_INVALID_URL':
      return new StartupError(`OPENDIRECTOR_DATABASE_URL is not a valid URL (expected postgres://user:password@host:5432/database)`, { cause: err });
    case '28P01':
    case '28000':
      return new StartupError(`${where} refused the login: ${String(message)} (${fix}: user and password)`, { cause: err });
    case '3D000':
      return new StartupError(`${where}: ${String(message)}. Create it (CREATE DATABASE …) or ${fix}`, { cause: err });
    case '42501':
      return new StartupError(`${where}: ${String(message)}. The user needs the right to create tables in the database (${fix})`, { cause: err });
    case '53300':
      return new StartupError(`${where} has no connection slot left (${String(message)}): raise max_connections or stop other clients`, { cause: err });
    default:
      break;
  }
  if (typeof message === 'string' && /^Connection terminated|SSL|self[- ]signed|certificate/i.test(message)) {
    return new StartupError(`cannot connect to ${where}: ${message} (${fix}, its sslmode and the server's TLS settings)`, { cause: err });
  }
  return err;
}

/** The SQLite data folder could not be created, opened or written. */
export function explainDataDirFailure(err: unknown, dataDir: string): unknown {
  const { code } = fieldsOf(err);
  const folder = `the data folder ${dataDir} (OPENDIRECTOR_DATA_DIR)`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_CANTOPEN_ISDIR':
    case 'SQLITE_IOERR_WRITE':
      return new StartupError(`cannot write to ${folder} (${String(code)}): give the user running OpenDirector write access to it, or set OPENDIRECTOR_DATA_DIR to a folder it may write`, { cause: err });
    case 'EEXIST':
    case 'ENOTDIR':
      return new StartupError(`${folder} is not a folder: set OPENDIRECTOR_DATA_DIR to a folder (it is created if missing)`, { cause: err });
    case 'ENOSPC':
    case 'SQLITE_FULL':
      return new StartupError(`${folder} is on a full disk: free some space`, { cause: err });
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return new StartupError(`${folder} holds an opendirector.db that is not a valid SQLite database (${String(code)}): restore it from a backup`, { cause: err });
    default:
      return err;
  }
}

/** The HTTP server could not listen on OPENDIRECTOR_HOST:OPENDIRECTOR_PORT. */
export function explainListenFailure(err: unknown, host: string, port: number): unknown {
  const { code } = fieldsOf(err);
  const at = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(`cannot listen on ${at}: the port is already in use (another OpenDirector, or another program): stop it or set OPENDIRECTOR_PORT to a free port`, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new StartupError(`cannot listen on ${at}: not permitted (ports below 1024 need privileges): set OPENDIRECTOR_PORT to 1024 or above, or grant CAP_NET_BIND_SERVICE`, { cause: err });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`cannot listen on ${at}: ${host} is not an address of this machine: set OPENDIRECTOR_HOST`, { cause: err });
    default:
      return err;
  }
}
