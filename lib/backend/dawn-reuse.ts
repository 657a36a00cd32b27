/**
 * Bind-group reuse for tfjs's webgpu backend on Dawn's Node binding.
 *
 * tfjs creates one GPUBindGroup per kernel call. Dawn frees a bind group's descriptor set only
 * when its JS wrapper is finalised, and Node runs N-API finalisers from the event loop
 * (a deferred SetImmediate), never inside synchronous code. A long synchronous stretch — 03's
 * text generation: 300 GRU predictions, each read with dataSync — piles up thousands of them;
 * lavapipe then crashed allocating a descriptor pool (SIGSEGV in
 * DescriptorSetAllocator::AllocateDescriptorPool after ~270 predictions, Node 20 and 24 alike;
 * global.gc() does not help, the finalisers still wait for the loop).
 *
 * So identical bind groups are made once: `getBindGroupLayout(i)` is memoised per pipeline, and
 * `createBindGroup` per layout and the identities, offsets and sizes of its buffers (a bind group
 * refers to buffers, not their contents, so reusing one is exact). tfjs pools its buffers, so the
 * same combinations recur; dawn-sync.ts also submits each kernel on its own during a synchronous
 * stretch, which makes the pooled uniform buffers recur too (measured: 1,091 bind groups for 300
 * predictions, instead of ~125 per prediction). Entries with anything but buffers (textures) are
 * not cached; each layout keeps at most 512.
 */
type Obj = object;
type Method = (this: Obj, ...args: unknown[]) => unknown;

const ids = new WeakMap<Obj, number>();
let nextId = 1;
function idOf(o: Obj): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

interface BufferBinding {
  buffer?: Obj;
  offset?: number;
  size?: number;
}

const MAX_PER_LAYOUT = 512;

/** Bind groups created and reused so far in this process (test/lib/webgpu.test.ts). */
export const bindGroupStats = { made: 0, reused: 0 };

/** Patch the binding's GPUComputePipeline and GPUDevice prototypes (idempotent). */
export function installBindGroupReuse(globals: Record<string, unknown>): void {
  const pipelineProto = (globals.GPUComputePipeline as { prototype: Record<string, Method> } | undefined)?.prototype;
  const deviceProto = (globals.GPUDevice as { prototype: Record<string, Method> & { __courseReuse?: boolean } } | undefined)?.prototype;
  if (!pipelineProto?.getBindGroupLayout || !deviceProto?.createBindGroup || deviceProto.__courseReuse) return;
  deviceProto.__courseReuse = true;

  const getLayout = pipelineProto.getBindGroupLayout;
  const layouts = new WeakMap<Obj, Map<unknown, unknown>>();
  pipelineProto.getBindGroupLayout = function getBindGroupLayout(this: Obj, index: unknown) {
    let byIndex = layouts.get(this);
    if (!byIndex) layouts.set(this, (byIndex = new Map()));
    if (!byIndex.has(index)) byIndex.set(index, getLayout.call(this, index));
    return byIndex.get(index);
  };

  const create = deviceProto.createBindGroup;
  const groups = new WeakMap<Obj, Map<string, unknown>>();
  deviceProto.createBindGroup = function createBindGroup(this: Obj, descriptor: unknown) {
    const d = descriptor as { layout?: Obj; entries?: { binding: number; resource: BufferBinding }[]; label?: string };
    if (!d.layout || !Array.isArray(d.entries) || d.label) return create.call(this, descriptor);
    let key = `${idOf(this)}|`;
    for (const e of d.entries) {
      const r = e.resource;
      if (!r || typeof r !== 'object' || !r.buffer) return create.call(this, descriptor);
      key += `${e.binding}:${idOf(r.buffer)}:${r.offset ?? 0}:${r.size ?? 'all'};`;
    }
    let byKey = groups.get(d.layout);
    if (!byKey) groups.set(d.layout, (byKey = new Map()));
    const hit = byKey.get(key);
    if (hit) {
      bindGroupStats.reused++;
      return hit;
    }
    bindGroupStats.made++;
    if (byKey.size >= MAX_PER_LAYOUT) byKey.clear();
    const made = create.call(this, descriptor);
    byKey.set(key, made);
    return made;
  };
}
