export interface NodeCompatState {
  /** false when COURSE_NODE_SHIM=0 */
  enabled: boolean;
  /** util helpers the shim added (missing on this Node) */
  added: string[];
  /** deprecated util helpers swapped for the same function without the warning */
  replaced: string[];
  /** util helpers this Node lacks (tfjs-node needs them) */
  missing: string[];
}
export declare function applyNodeCompat(env?: NodeJS.ProcessEnv): NodeCompatState;
export declare function describeNodeCompat(state: NodeCompatState): string;
export declare function missingHelpers(): string[];
export declare const SHIMMED_HELPERS: string[];
