import fs from 'node:fs';
import tls from 'node:tls';
import { StartupError } from './startup-error.ts';

function readPem(file: string, variable: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'not readable by this user' : code === 'EISDIR' ? 'a folder, not a file' : String(code ?? err);
    throw new StartupError(`cannot read the TLS ${what} ${file} (${variable}): ${why}`, { cause: err });
  }
}

/**
 * Reads the PEM certificate and key and checks, before anything else starts, that they load and
 * belong together (the same check the HTTPS server makes, whose errors would otherwise surface
 * as OpenSSL stack traces). Error messages name the file, never its content.
 */
export function readTlsFiles(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = readPem(certFile, 'OPENDIRECTOR_TLS_CERT_FILE', 'certificate');
  const key = readPem(keyFile, 'OPENDIRECTOR_TLS_KEY_FILE', 'private key');
  try {
    tls.createSecureContext({ cert });
  } catch (err) {
    throw new StartupError(`the TLS certificate ${certFile} (OPENDIRECTOR_TLS_CERT_FILE) is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  try {
    tls.createSecureContext({ key });
  } catch (err) {
    throw new StartupError(`the TLS private key ${keyFile} (OPENDIRECTOR_TLS_KEY_FILE) is not an unencrypted PEM private key: ${(err as Error).message}`, { cause: err });
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new StartupError(`the TLS private key ${keyFile} does not belong to the certificate ${certFile} (${(err as Error).message}): set OPENDIRECTOR_TLS_CERT_FILE and OPENDIRECTOR_TLS_KEY_FILE to a matching pair`, { cause: err });
  }
  return { cert, key };
}
