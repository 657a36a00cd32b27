/**
 * spawnSync's result, without blocking the test worker's event loop. A worker that blocks for
 * over a minute cannot answer vitest's RPC, and vitest then fails the whole run with
 * "[vitest-worker]: Timeout calling onTaskUpdate" although every test passed (vitest #8164;
 * seen on this project's loaded CI). Tests that run a child for long use this instead.
 */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface SpawnResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnAsync(command: string, args: string[], options: SpawnOptions & { timeout?: number } = {}): Promise<SpawnResult> {
  const { timeout, ...rest } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...rest, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = timeout ? setTimeout(() => child.kill('SIGTERM'), timeout) : undefined;
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}
