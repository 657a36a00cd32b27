'use strict';
/**
 * Node compatibility shim for @tensorflow/tfjs-node 4.22.0, loaded before tfjs-node in every
 * process that loads it (lib/backend/index.ts, lib/backend/native.ts's child check,
 * scripts/provision-native.mjs, lib/backend/probe.cjs).
 *
 * tfjs-node's dist calls helpers of Node's `util` module that Node 23 removed:
 *   util.isNullOrUndefined  (dist/nodejs_kernel_backend.js ×3, dist/kernels/TopK.js ×2)
 * so on Node 23+ every op that builds a dtype attribute (model.fit, predict, most kernels)
 * throws "(0 , util_1.isNullOrUndefined) is not a function". The upstream fix
 * (tensorflow/tfjs#8425) was merged but never released. Its other `util` uses still exist on
 * Node 26: util.isArray (deprecated, DEP0044) and util.promisify.
 *
 * The shim adds the missing function (with the exact semantics Node had) and swaps the
 * deprecated ones for warning-free equivalents; it never touches node_modules. COURSE_NODE_SHIM=0 switches it off (the
 * canary test uses that to prove it catches a broken environment).
 *
 * Plain CommonJS so that plain `node -e`/postinstall scripts can load it without tsx.
 */
const util = require('node:util');

/** The helpers tfjs-node 4.22.0 calls, with the semantics Node ≤ 22 gave them. */
const FILLS = {
  isNullOrUndefined: (value) => value === null || value === undefined,
  isArray: (value) => Array.isArray(value),
};

/** Names Node lacked when the shim ran (captured before it adds anything). */
const MISSING = Object.keys(FILLS).filter((name) => typeof util[name] !== 'function');
let applied = null;

/** Which of the helpers this Node's `util` lacks (tfjs-node fails without the shim). */
function missingHelpers() {
  return MISSING.slice();
}

/**
 * Add the missing helpers to `util`, and swap the still-present deprecated ones (Node 22:
 * isNullOrUndefined; 22+: isArray) for the same function without the once-per-process
 * DeprecationWarning that tfjs-node would otherwise print into every student's output.
 * Idempotent. Returns { enabled, added, replaced, missing }.
 */
function applyNodeCompat(env) {
  if ((env || process.env).COURSE_NODE_SHIM === '0') return { enabled: false, added: [], replaced: [], missing: missingHelpers() };
  if (applied) return applied;
  const added = [];
  const replaced = [];
  for (const [name, fill] of Object.entries(FILLS)) {
    (typeof util[name] === 'function' ? replaced : added).push(name);
    Object.defineProperty(util, name, { value: fill, writable: true, configurable: true, enumerable: true });
  }
  applied = { enabled: true, added, replaced, missing: missingHelpers() };
  return applied;
}

/** One line for `course doctor` and reports. */
function describeNodeCompat(state) {
  if (!state.enabled) {
    return state.missing.length
      ? `OFF (COURSE_NODE_SHIM=0), and Node ${process.version} lacks util.${state.missing.join(', util.')}: tfjs-node training fails`
      : `OFF (COURSE_NODE_SHIM=0); not needed on Node ${process.version} (only deprecation warnings)`;
  }
  return state.added.length
    ? `on: added util.${state.added.join(', util.')} (removed in Node 23) for tfjs-node`
    : `on: nothing missing on Node ${process.version} (deprecation warnings silenced)`;
}

module.exports = { applyNodeCompat, describeNodeCompat, missingHelpers, SHIMMED_HELPERS: Object.keys(FILLS) };
