import type { Services } from '../api/http/services.ts';

/** Seeds the demo tenant (filled in by the inventory module). */
export async function seedDemo(_services: Services): Promise<string> {
  return 'Demo data: nothing seeded yet.';
}
