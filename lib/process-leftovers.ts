/**
 * What a process leaves in the temporary folder when it dies (issue 21 "Leftovers"): a grader's
 * runtime copy, stage root and uid-block lock, a warm checker's folder. Each is named by its pid, so a
 * later grader removes those of pids that are gone, and a grader ended by a signal (vitest stops
 * a test file's process with SIGTERM; Ctrl-C sends SIGINT) still runs its own clean-up.
 * SIGKILL runs nothing: the next grader's sweep is what removes those.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `<tmp>/<prefix><pid>` entries whose process is gone: removed (another user's that we cannot remove are left). */
export function removeStale(prefix: string, dir = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || pidAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to remove (another user's grader): left for its owner
    }
  }
  return removed;
}

const cleanups: (() => void)[] = [];
let hooked = false;
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** Last registered first (a running attempt's processes die before its stage is removed). */
function runCleanups(): void {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // best effort: the next grader's sweep catches what is left
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runCleanups();
  // only when nobody else handles the signal (`course watch` stops gracefully on its own
  // handler and then exits, which runs 'exit') do we end the process as the signal would have
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

/**
 * Runs `fn` once when this process exits, or is ended by SIGTERM, SIGINT or SIGHUP; the returned
 * function cancels it (for clean-ups of something already cleaned up, like a finished attempt).
 */
export function cleanUpOnExit(fn: () => void): () => void {
  cleanups.push(fn);
  if (!hooked) {
    hooked = true;
    process.once('exit', runCleanups);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}
