/** `course doctor`'s platform checks (lib/backend/platform.ts): Node version, N-API, CPU flags. */
import { describe, expect, test } from 'vitest';
import { checkCpuFlags, checkNodeVersion, TESTED_NODE_MAJORS } from '../../lib/backend/platform.js';

describe('checkNodeVersion', () => {
  test('tested LTS majors need nothing', () => {
    for (const v of ['v22.23.3', 'v24.21.0', 'v26.10.0']) {
      const c = checkNodeVersion(v, '10');
      expect(c.tested, v).toBe(true);
      expect(c.fix, v).toBeNull();
    }
  });
  test('Node 20 works but is end of life; an untested major or an old N-API gets a fix', () => {
    expect(checkNodeVersion('v20.20.2', '9').fix).toMatch(/end of life.*install Node 24/);
    const old = checkNodeVersion('v18.20.0', '9');
    expect(old.tested).toBe(false);
    expect(old.line).toMatch(/NOT tested; tested: 20, 22, 24, 26/);
    expect(old.fix).toMatch(/not a version this course is tested on: install Node 22, 24 or 26/);
    expect(checkNodeVersion('v24.0.0', '7').fix).toMatch(/N-API 7, the native backend needs 8/);
    expect(TESTED_NODE_MAJORS).toContain(Number(process.versions.node.split('.')[0]));
  });
});

describe('checkCpuFlags', () => {
  test('a CPU without AVX: libtensorflow cannot run, with the fix', () => {
    const c = checkCpuFlags('processor\t: 0\nflags\t\t: fpu sse sse2 sse4_2\n');
    expect(c.avx).toBe(false);
    expect(c.line).toBe('avx no, avx2 no, fma no, avx512f no');
    expect(c.fix).toMatch(/no AVX: libtensorflow .* cannot run here/);
  });
  test('AVX present; ARM and unknown platforms are not judged', () => {
    const c = checkCpuFlags('flags\t\t: fpu sse avx avx2 fma\n');
    expect([c.avx, c.avx2, c.fma, c.fix]).toEqual([true, true, true, null]);
    expect(checkCpuFlags('Features\t: fp asimd\n').fix).toBeNull();
    expect(checkCpuFlags(null).line).toMatch(/^unknown/);
  });
});
