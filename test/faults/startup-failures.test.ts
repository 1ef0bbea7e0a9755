import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPostgres, stopSharedPostgres } from '../support/embedded-postgres.ts';
import { startSilentTcpServer } from '../support/silent-tcp-server.ts';
import { TEST_KEY_ENCRYPTION_KEY } from '../support/test-server.ts';
import { freePort, killServerProcess, runFailingServerProcess, startServerProcess } from './server-process.ts';

/**
 * `opendirector serve` started the way operators get it wrong: each mistake ends the process with
 * exit status 1 and, as its last line, one `opendirector: …` line that names the problem and what
 * to do — no stack trace, no hang, and never a secret (database password, key-encryption key).
 */

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'od-startup-'));
  dirs.push(d);
  return d;
}

/** Exit 1, the last line on stderr is the explanation, and nothing printed looks like a stack frame. */
function expectOneLineFailure(result: { code: number | null; output: string; stderr: string }, line: RegExp, secrets: string[] = []): void {
  const lines = result.stderr.trim().split('\n');
  expect(result.code, result.output).toBe(1);
  expect(lines.at(-1), result.output).toMatch(/^opendirector: /);
  expect(lines.at(-1), result.output).toMatch(line);
  expect(result.output).not.toMatch(/^\s+at /m);
  for (const s of secrets) expect(result.output).not.toContain(s);
}

let sqliteDir: string;
let generatedKey: string;
let tls: { certFile: string; keyFile: string; otherKeyFile: string };

beforeAll(async () => {
  // A data folder that has been started once: its database holds signing keys under its key file.
  sqliteDir = tempDir();
  const p = await startServerProcess({ dataDir: sqliteDir, port: await freePort() });
  await killServerProcess(p);
  generatedKey = fs.readFileSync(path.join(sqliteDir, 'key-encryption-key'), 'utf8').trim();
  const tlsDir = tempDir();
  const make = (name: string) => {
    const certFile = path.join(tlsDir, `${name}-cert.pem`);
    const keyFile = path.join(tlsDir, `${name}-key.pem`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-keyout', keyFile, '-out', certFile, '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    return { certFile, keyFile };
  };
  const a = make('a');
  tls = { ...a, otherKeyFile: make('b').keyFile };
});
afterAll(async () => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  await stopSharedPostgres();
});

/** A copy of the started data folder, to break one thing in. */
function copyOfStartedDir(): string {
  const d = tempDir();
  fs.cpSync(sqliteDir, d, { recursive: true });
  return d;
}

describe('opendirector serve: PostgreSQL it cannot use', () => {
  it('names an unreachable PostgreSQL without its password', async () => {
    const port = await freePort();
    const r = await runFailingServerProcess({
      OPENDIRECTOR_DATA_DIR: tempDir(), OPENDIRECTOR_PORT: String(await freePort()),
      OPENDIRECTOR_DATABASE_URL: `postgres://od:Unreachable-S3cret@127.0.0.1:${port}/od`, OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    });
    expectOneLineFailure(r, new RegExp(`cannot connect to PostgreSQL at postgres://od:\\*\\*\\*@127\\.0\\.0\\.1:${port}/od: connection refused.*OPENDIRECTOR_DATABASE_URL`), ['Unreachable-S3cret', TEST_KEY_ENCRYPTION_KEY]);
  });

  it('says that the login was refused when the password is wrong, without either password', async () => {
    const url = new URL(await (await sharedPostgres()).createDatabase());
    const rightPassword = decodeURIComponent(url.password);
    url.password = 'Wrong-S3cret-pw';
    const r = await runFailingServerProcess({
      OPENDIRECTOR_DATA_DIR: tempDir(), OPENDIRECTOR_PORT: String(await freePort()),
      OPENDIRECTOR_DATABASE_URL: url.toString(), OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
    });
    expectOneLineFailure(r, /PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/od_\w+ refused the login: password authentication failed .*user and password/, ['Wrong-S3cret-pw', rightPassword, TEST_KEY_ENCRYPTION_KEY]);
  });

  it('gives up after 10 s, and says so, when the database host takes the connection and never answers', async () => {
    const silent = await startSilentTcpServer();
    try {
      const started = performance.now();
      const r = await runFailingServerProcess({
        OPENDIRECTOR_DATA_DIR: tempDir(), OPENDIRECTOR_PORT: String(await freePort()),
        OPENDIRECTOR_DATABASE_URL: `postgres://od:Silent-S3cret@127.0.0.1:${silent.port}/od`, OPENDIRECTOR_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      }, 30_000);
      const tookMs = performance.now() - started;
      expectOneLineFailure(r, new RegExp(`cannot connect to PostgreSQL at postgres://od:\\*\\*\\*@127\\.0\\.0\\.1:${silent.port}/od: no answer within 10 s \\(OPENDIRECTOR_DATABASE_CONNECT_TIMEOUT_SECONDS\\)\\..*firewall.*OPENDIRECTOR_DATABASE_URL`), ['Silent-S3cret', TEST_KEY_ENCRYPTION_KEY]);
      expect(silent.accepted).toBeGreaterThan(0);
      // The default connection timeout, plus the process's own start and exit.
      expect(tookMs).toBeGreaterThanOrEqual(10_000);
      expect(tookMs).toBeLessThan(20_000);
    } finally {
      await silent.close();
    }
  }, 40_000);

  it('refuses a database URL that is not a URL with the variable\'s name and without its value (exit 2)', async () => {
    const r = await runFailingServerProcess({ OPENDIRECTOR_DATA_DIR: tempDir(), OPENDIRECTOR_DATABASE_URL: 'postgres://od:Bad-S3cret@db:99999/od' });
    expect(r.code, r.output).toBe(2);
    expect(r.output.trim()).toMatch(/^opendirector: Invalid configuration: OPENDIRECTOR_DATABASE_URL is not a valid URL/);
    expect(r.output).not.toContain('Bad-S3cret');
  });
});

describe('opendirector serve: local resources it cannot use', () => {
  it('refuses a data folder that is a file', async () => {
    const file = path.join(tempDir(), 'not-a-folder');
    fs.writeFileSync(file, '');
    const r = await runFailingServerProcess({ OPENDIRECTOR_DATA_DIR: file, OPENDIRECTOR_PORT: String(await freePort()) });
    expectOneLineFailure(r, /the data folder .*not-a-folder \(OPENDIRECTOR_DATA_DIR\) is not a folder/);
  });

  it('says the port is in use when another program listens on it', async () => {
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as net.AddressInfo).port;
    try {
      const r = await runFailingServerProcess({ OPENDIRECTOR_DATA_DIR: copyOfStartedDir(), OPENDIRECTOR_PORT: String(port) });
      expectOneLineFailure(r, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use.*OPENDIRECTOR_PORT`));
    } finally {
      other.close();
    }
  });

  it('names a TLS certificate file that does not exist', async () => {
    const r = await runFailingServerProcess({
      OPENDIRECTOR_DATA_DIR: copyOfStartedDir(), OPENDIRECTOR_PORT: String(await freePort()),
      OPENDIRECTOR_TLS_CERT_FILE: '/nonexistent/cert.pem', OPENDIRECTOR_TLS_KEY_FILE: tls.keyFile,
    });
    expectOneLineFailure(r, /cannot read the TLS certificate \/nonexistent\/cert\.pem \(OPENDIRECTOR_TLS_CERT_FILE\): no such file/);
  });

  it('says when the TLS key does not belong to the certificate', async () => {
    const r = await runFailingServerProcess({
      OPENDIRECTOR_DATA_DIR: copyOfStartedDir(), OPENDIRECTOR_PORT: String(await freePort()),
      OPENDIRECTOR_TLS_CERT_FILE: tls.certFile, OPENDIRECTOR_TLS_KEY_FILE: tls.otherKeyFile,
    });
    expectOneLineFailure(r, /the TLS private key .*b-key\.pem does not belong to the certificate .*a-cert\.pem/, [fs.readFileSync(tls.otherKeyFile, 'utf8').split('\n')[1] as string]);
  });
});

describe('opendirector serve: a key-encryption key that is wrong or unsafe', () => {
  it('refuses a key file that other users may read, and says how to fix it', async () => {
    const dir = copyOfStartedDir();
    fs.chmodSync(path.join(dir, 'key-encryption-key'), 0o644);
    const r = await runFailingServerProcess({ OPENDIRECTOR_DATA_DIR: dir, OPENDIRECTOR_PORT: String(await freePort()) });
    expectOneLineFailure(r, /key-encryption-key is readable by other users \(mode 0644\): run `chmod 600 /, [generatedKey]);
  });

  it('refuses a key file that was emptied', async () => {
    const dir = copyOfStartedDir();
    fs.writeFileSync(path.join(dir, 'key-encryption-key'), '\n', { mode: 0o600 });
    const r = await runFailingServerProcess({ OPENDIRECTOR_DATA_DIR: dir, OPENDIRECTOR_PORT: String(await freePort()) });
    expectOneLineFailure(r, /key-encryption-key holds nothing, not a key-encryption key/);
  });

  it('says that a different key does not decrypt the stored signing keys, without either key', async () => {
    const wrong = 'a-different-key-encryption-key-0123456789';
    const r = await runFailingServerProcess({ OPENDIRECTOR_DATA_DIR: copyOfStartedDir(), OPENDIRECTOR_PORT: String(await freePort()), OPENDIRECTOR_KEY_ENCRYPTION_KEY: wrong });
    expectOneLineFailure(r, /OPENDIRECTOR_KEY_ENCRYPTION_KEY does not decrypt the signing keys stored in the database/, [wrong, generatedKey]);
  });
});
