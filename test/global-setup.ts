import { ensurePortalBuilt } from '../src/web/build-portal.ts';

/**
 * Runs once before any test file: builds the web portal when it is missing or stale, so every
 * suite that touches portal paths (browser tests, hostile input, the authorization matrix) sees
 * the same built assets, whatever order the files run in on a fresh clone.
 */
export default async function setup(): Promise<void> {
  await ensurePortalBuilt();
}
