/**
 * Errors thrown inside tfjs-layers name the student's layer and line. A shape error from
 * tfjs-layers ("Total size of new array must be unchanged.", "Input 0 is incompatible with layer
 * dense_Dense9 …") says nothing of which of the student's layers it was or where they added it.
 * Every `Layer.apply` is wrapped once, here, before the grader harness records tfjs's prototypes
 * (this setup file runs first): the first call of a layer (model.add, layer.apply(x)) remembers
 * the line that made it; an error escaping a layer's apply gets one bracket appended, e.g.
 *   [in Reshape layer "reshape_Reshape2" (layer 4 of generator), input shape [2,6272], output
 *    shape [null,7,7,128]; added at /…/04-dcgan/index.ts:45:9]
 * lib/grader/feedback.ts cuts the path down to the exercise folder.
 */
import * as tf from '@tensorflow/tfjs';

type AnyLayer = tf.layers.Layer & { name: string };
const addedAt = new WeakMap<object, string | undefined>();
const annotated = new WeakSet<object>();
const ownerOf = new WeakMap<object, { model: string; index: number }>();

/** The first frame of the current stack outside tfjs, the test support and node's internals. */
function callerFrame(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m || /\/node_modules\/|\/test\/support\//.test(m[1]!)) continue;
    return `${m[1]!.replace(/^file:\/\//, '')}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

function shapeOf(x: unknown): string {
  const one = (t: unknown) => JSON.stringify((t as { shape?: unknown })?.shape ?? null);
  if (Array.isArray(x)) return x.length === 1 ? one(x[0]) : `[${x.map(one).join(', ')}]`;
  return one(x);
}

/** "[in Reshape layer "reshape_Reshape2" (layer 2 of sequential_1), input shape [null,6272]; added at …]" */
export function describeLayer(layer: AnyLayer, input: unknown): string {
  const owner = ownerOf.get(layer);
  const where = addedAt.get(layer);
  const parts = [`in ${layer.getClassName()} layer "${layer.name}"${owner ? ` (layer ${owner.index + 1} of ${owner.model})` : ''}, input shape ${shapeOf(input)}`];
  try {
    const out = (layer as unknown as { outputShape?: unknown }).outputShape;
    if (out !== undefined) parts[0] += `, output shape ${JSON.stringify(out)}`;
  } catch {
    // a layer that was never built has no output shape yet
  }
  if (where) parts.push(`added at ${where}`);
  return `[${parts.join('; ')}]`;
}

const proto = tf.layers.Layer.prototype as unknown as { apply: (this: AnyLayer, ...args: unknown[]) => unknown; __courseOrigins?: true };
if (!proto.__courseOrigins) {
  const apply = proto.apply;
  proto.apply = function (this: AnyLayer, ...args: unknown[]) {
    if (!addedAt.has(this)) addedAt.set(this, callerFrame(new Error().stack));
    try {
      return apply.apply(this, args);
    } catch (err) {
      // the innermost layer explains it; the models around it (also Layers) leave it alone
      if (err instanceof Error && !annotated.has(err)) {
        annotated.add(err);
        try {
          err.message = `${err.message} ${describeLayer(this, args[0])}`;
        } catch {
          // a frozen error: leave it as it is
        }
      }
      throw err;
    }
  };
  Object.defineProperty(proto, '__courseOrigins', { value: true });

  // model.add(layer): remember the layer's position in the model, for "layer 3 of sequential_1"
  const seqProto = tf.Sequential.prototype as unknown as { add: (this: tf.Sequential, layer: AnyLayer) => void };
  const add = seqProto.add;
  seqProto.add = function (this: tf.Sequential, layer: AnyLayer) {
    if (layer && typeof layer === 'object') {
      ownerOf.set(layer, { model: this.name, index: this.layers.length });
      if (!addedAt.has(layer)) addedAt.set(layer, callerFrame(new Error().stack));
    }
    return add.call(this, layer);
  };
}
