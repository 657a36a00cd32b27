import type * as tfjs from '@tensorflow/tfjs';
/** Throws an Error naming the failing step; leaves no tensors behind. */
export declare function probeBackend(tf: typeof tfjs): Promise<void>;
