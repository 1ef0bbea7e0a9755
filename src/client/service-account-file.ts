import type { ServiceAccountTokenFile } from '../api/cloudapi/wire.ts';

/**
 * The Go SDK's service-account token file (spec §5.7 step 6): JSON with `token_type: "Service
 * Account"`, mode 0600. Node only: imported lazily by `fromServiceAccount`, so browser bundles of
 * the SDK never pull in node:fs.
 */
export async function readServiceAccountTokenFile(file: string): Promise<ServiceAccountTokenFile> {
  const fs = await import('node:fs/promises');
  const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<ServiceAccountTokenFile>;
  if (typeof parsed.refresh_token !== 'string' || parsed.refresh_token === '') throw new Error(`${file} has no "refresh_token"`);
  return parsed as ServiceAccountTokenFile;
}

/** The file content for `refreshToken` (Go writes updated_on as RFC 3339 with seconds). */
export function serviceAccountTokenFileFor(refreshToken: string, updatedBy: string, now = new Date()): ServiceAccountTokenFile {
  return { token_type: 'Service Account', refresh_token: refreshToken, updated_by: updatedBy, updated_on: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/**
 * Replaces the file atomically (a temporary file in the same folder, mode 0600, fsync'd, then
 * renamed over it): a crash leaves the old token or the new one, never half of either.
 */
export async function writeServiceAccountTokenFile(file: string, content: ServiceAccountTokenFile): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
