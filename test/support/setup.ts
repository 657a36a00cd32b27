/**
 * Runs before every test file: choose the backend once and seed all randomness before each
 * test so results don't depend on test order.
 */
import { beforeAll, beforeEach } from 'vitest';
import { initBackend } from '../../lib/backend/index.js';
import { seedEverything } from '../../lib/random.js';

const SEED = Number(process.env.COURSE_SEED ?? 1234);

beforeAll(async () => {
  await initBackend({ quiet: true });
});

beforeEach(() => {
  seedEverything(SEED);
});
