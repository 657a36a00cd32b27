/**
 * The environment canary's child process (spawned by lib/grader/canary.ts): choose the backend
 * exactly as a grading worker does (initBackend, same env), then run the shared known-good
 * probe on it (lib/backend/probe.cjs: dense fit + predict, LSTM step, conv + conv-transpose
 * gradients, minimize). Prints one line: `CANARY {"ok":…,"backend":…,"error":…}`.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index.js';
import { CourseError } from '../errors.js';
import { probeBackend } from '../backend/probe.cjs';

function say(result: { ok: boolean; backend: string; error?: string }): void {
  process.stdout.write(`CANARY ${JSON.stringify(result)}\n`);
}

function firstLine(err: unknown): string {
  // a CourseError's problem only: its fix is for the user of that command, the canary has its own
  const msg = err instanceof CourseError ? err.problem : err instanceof Error ? err.message : String(err);
  return msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' — ').slice(0, 400);
}

let backend = process.env.TFJS_BACKEND ? `${process.env.TFJS_BACKEND} (TFJS_BACKEND)` : 'auto';
try {
  const b = await initBackend({ quiet: true });
  backend = b.choice === b.tfBackend ? b.choice : `${b.choice} (${b.tfBackend})`;
  if (process.env.COURSE_REQUIRE_NATIVE === '1' && b.choice !== 'node' && b.choice !== 'gpu') {
    const why = b.skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ');
    throw new Error(`COURSE_REQUIRE_NATIVE=1 but the native backend was not chosen (${why})`);
  }
  await probeBackend(tf);
  say({ ok: true, backend });
} catch (err) {
  say({ ok: false, backend, error: firstLine(err) });
}
