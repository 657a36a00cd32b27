/** Node binaries the CI caches (.ci/run): ~/.cache/tfjs-course/node-NN/node_modules/.bin/node. */
import os from 'node:os';
import path from 'node:path';

export function cachedNode(major: number): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tfjs-course', `node-${major}`, 'node_modules', '.bin', 'node');
}

/** A Node ≥ 23 binary (util.isNullOrUndefined removed): the shim-off checks need one. */
export const NODE_24 = cachedNode(24);
