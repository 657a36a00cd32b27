/**
 * The Node compatibility shim (lib/backend/node-compat.cjs) and the shared "does this backend
 * work" probe (lib/backend/probe.cjs): the shim gives tfjs-node the `util` helpers Node 23+
 * removed; the probe catches a backend that loads but cannot train.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnAsync } from '../support/spawn-async.js';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { applyNodeCompat, describeNodeCompat, SHIMMED_HELPERS } from '../../lib/backend/node-compat.cjs';
import { probeBackend } from '../../lib/backend/probe.cjs';
import { nativeStatus, parseProbeOutput, PROBE_SCRIPT } from '../../lib/backend/native.js';
import { NODE_24 } from '../support/node-versions.js';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const nativeWorks = nativeStatus({ checkLoad: false }).installed;

describe('node-compat shim', () => {
  test('gives util the helpers tfjs-node calls, with the semantics Node ≤ 22 had', () => {
    const state = applyNodeCompat({});
    expect(state.enabled).toBe(true);
    const util = require('node:util') as Record<string, (v: unknown) => boolean>;
    for (const name of SHIMMED_HELPERS) expect(typeof util[name], name).toBe('function');
    const isNullOrUndefined = util.isNullOrUndefined!;
    expect([null, undefined].map(isNullOrUndefined)).toEqual([true, true]);
    expect([0, '', false, NaN, {}, []].map(isNullOrUndefined)).toEqual([false, false, false, false, false, false]);
    expect(util.isArray!([])).toBe(true);
    expect(util.isArray!({ length: 0 })).toBe(false);
    // idempotent: a second call reports the same and adds nothing twice
    expect(applyNodeCompat({})).toBe(state);
    expect(describeNodeCompat(state)).toMatch(/^on: /);
  });

  test('COURSE_NODE_SHIM=0 switches it off and says what that breaks', () => {
    const off = applyNodeCompat({ COURSE_NODE_SHIM: '0' });
    expect(off.enabled).toBe(false);
    expect(describeNodeCompat(off)).toMatch(/^OFF \(COURSE_NODE_SHIM=0\)/);
    expect(describeNodeCompat({ enabled: false, added: [], replaced: [], missing: ['isNullOrUndefined'] })).toMatch(/lacks util\.isNullOrUndefined: tfjs-node training fails/);
  });
});

describe('probe', () => {
  test('passes on the cpu backend and leaves no tensors', async () => {
    const start = tf.getBackend();
    try {
      await tf.setBackend('cpu');
      const before = tf.memory().numTensors;
      await probeBackend(tf);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await tf.setBackend(start);
    }
  });

  describe('planted: a backend with a wrong conv2d filter gradient', () => {
    let start = '';
    afterAll(async () => {
      await tf.setBackend(start);
      tf.removeBackend('cpu-planted-bug');
    });
    test('is caught by the conv step', async () => {
      start = tf.getBackend();
      // the cpu backend's kernels, with Conv2DBackpropFilter returning twice the right answer
      const cpu = tf.findBackend('cpu') ?? (await tf.setBackend('cpu'), tf.findBackend('cpu'));
      const Cpu = cpu!.constructor as new () => tf.KernelBackend;
      tf.registerBackend('cpu-planted-bug', () => new Cpu());
      for (const k of tf.getKernelsForBackend('cpu')) {
        const bug = k.kernelName === 'Conv2DBackpropFilter';
        tf.registerKernel({
          ...k,
          backendName: 'cpu-planted-bug',
          kernelFunc: bug
            ? (args) => {
                const out = k.kernelFunc(args) as tf.TensorInfo;
                const b = args.backend as unknown as { data: { get(id: unknown): { values: Float32Array } } };
                const v = b.data.get(out.dataId).values;
                for (let i = 0; i < v.length; i++) v[i]! *= 2;
                return out;
              }
            : k.kernelFunc,
        });
      }
      await tf.setBackend('cpu-planted-bug');
      await expect(probeBackend(tf)).rejects.toThrow(/conv2d \+ conv2dTranspose gradients: wrong kernel gradient/);
    });
  });
});

describe('probe output → verdict', () => {
  test('OK, FAIL and a crash before the probe could answer', () => {
    expect(parseProbeOutput('PROBE OK tensorflow 2.9.3\n', '', 0)).toEqual({ ok: true, tfVersion: '2.9.3', error: null });
    expect(parseProbeOutput('PROBE FAIL dense fit + predict: boom\n', '', 1)).toEqual({ ok: false, tfVersion: null, error: 'dense fit + predict: boom' });
    expect(parseProbeOutput('', 'Error: libtensorflow.so.2: cannot open shared object file\n', 1).error).toMatch(/cannot open shared object/);
    expect(parseProbeOutput('', '', null, 'SIGSEGV').error).toBe('exit SIGSEGV');
  });
});

const probeable = nativeWorks && existsSync(NODE_24);
describe.skipIf(!probeable)('on Node 24 (from the cache; skipped where it is absent)', () => {
  const run = (env: Record<string, string>, args: string[]) =>
    spawnAsync(NODE_24, args, { cwd: ROOT, timeout: 120_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...env } });

  test('tfjs-node trains with the shim and fails the probe without it', async () => {
    const on = await run({}, [PROBE_SCRIPT]);
    expect(on.stdout, on.stderr).toMatch(/^PROBE OK tensorflow /m);
    const off = await run({ COURSE_NODE_SHIM: '0' }, [PROBE_SCRIPT]);
    expect(off.status).toBe(1);
    expect(off.stdout).toMatch(/^PROBE FAIL .*util_1\.isNullOrUndefined\) is not a function/m);
  });

  test('without the shim initBackend falls through to wasm and says why', async () => {
    const script = "import('./lib/backend/index.ts').then(async (m) => { const b = await m.initBackend({ quiet: true }); console.log('LINE ' + b.line); })";
    const off = await run({ COURSE_NODE_SHIM: '0' }, ['--import', 'tsx', '-e', script]);
    expect(off.stdout, off.stderr).toMatch(/LINE \[course\] backend: wasm .*node: loads but fails the training probe \(.*isNullOrUndefined/);
    const on = await run({}, ['--import', 'tsx', '-e', script]);
    expect(on.stdout, on.stderr).toMatch(/LINE \[course\] backend: node /);
  });
});
