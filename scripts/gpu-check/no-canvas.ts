/**
 * Stand-in for @napi-rs/canvas in the device check's bundle (a native module the check does not
 * carry): lib/plot imports it at load time, but the check draws no plots. Using it throws.
 */
function unavailable(): never {
  throw new Error('plots are not part of the GPU device check (@napi-rs/canvas is not carried)');
}
export const createCanvas = unavailable;
export const loadImage = unavailable;
export const GlobalFonts = { registerFromPath: () => false, register: () => null, families: [] };
export type Canvas = never;
export type SKRSContext2D = never;
