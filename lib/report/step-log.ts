/**
 * Per-step training logs. A run (one `course train`) has one StepLog; each training loop inside
 * it writes one named curve ("lstm", "adam-plain", "relu") with every step's values (loss and
 * whatever else the step returns) and, at each epoch's end, the epoch's values (validation).
 * The curves go to metrics.json (`stepLog`), the per-step plots, the live page and TensorBoard.
 *
 *   const log = new StepLog();
 *   const c = log.curve('lstm');
 *   c.step({ loss: 2.1 }); c.step({ loss: 2.0 }); c.endEpoch({ val_loss: 2.05 });
 *
 * Listeners (`log.on(event)`) hear every step and epoch as it happens (the live page, TensorBoard).
 */

/** One curve's data, as stored in metrics.json. Arrays hold NaN where a step/epoch lacked a key. */
export interface CurveData {
  /** key → one value per step, in order */
  steps: Record<string, number[]>;
  /** number of steps in each finished epoch (their sum ≤ the number of steps) */
  epochSteps: number[];
  /** key → one value per finished epoch */
  epochs: Record<string, number[]>;
}

export type StepLogEvent =
  | { kind: 'step'; curve: string; step: number; logs: Record<string, number> }
  | { kind: 'epoch'; curve: string; epoch: number; step: number; logs: Record<string, number> };

export type StepLogListener = (event: StepLogEvent) => void;

export const STEP_LOG_VERSION = 1;

/** metrics.json's `stepLog`: { version, curves: { name: CurveData } } */
export interface StepLogJson {
  version: number;
  curves: Record<string, CurveData>;
}

function emptyCurve(): CurveData {
  return { steps: {}, epochSteps: [], epochs: {} };
}

/** Number of steps recorded in a curve (the longest step series). */
export function stepCount(c: CurveData): number {
  return Math.max(0, ...Object.values(c.steps).map((v) => v.length));
}

/** Append one row of values to series that all have `length` entries (NaN-padded for new keys). */
function appendRow(series: Record<string, number[]>, length: number, logs: Record<string, number>): void {
  for (const [k, v] of Object.entries(logs)) {
    const arr = (series[k] ??= []);
    while (arr.length < length) arr.push(NaN);
    arr.push(v);
  }
  for (const arr of Object.values(series)) while (arr.length < length + 1) arr.push(NaN);
}

export class CurveRecorder {
  constructor(
    readonly name: string,
    readonly data: CurveData,
    private readonly emit: (e: StepLogEvent) => void,
  ) {}

  get steps(): number {
    return stepCount(this.data);
  }

  get epochsDone(): number {
    return this.data.epochSteps.length;
  }

  step(logs: Record<string, number>): void {
    const n = this.steps;
    appendRow(this.data.steps, n, logs);
    this.emit({ kind: 'step', curve: this.name, step: n, logs });
  }

  /** Close the current epoch (its steps: those since the last epoch end) with its epoch values. */
  endEpoch(logs: Record<string, number> = {}): void {
    const closed = this.data.epochSteps.reduce((a, b) => a + b, 0);
    this.data.epochSteps.push(this.steps - closed);
    appendRow(this.data.epochs, this.data.epochSteps.length - 1, logs);
    this.emit({ kind: 'epoch', curve: this.name, epoch: this.data.epochSteps.length - 1, step: this.steps, logs });
  }

  /** Set (or add) a whole per-epoch series afterwards, e.g. validation accuracy a caller measured. */
  setEpochValues(key: string, values: number[]): void {
    this.data.epochs[key] = [...values];
  }

  /** Replace everything with saved data (a resumed loop), telling listeners as if it happened now. */
  restore(saved: CurveData): void {
    this.data.steps = structuredClone(saved.steps);
    this.data.epochSteps = [...saved.epochSteps];
    this.data.epochs = structuredClone(saved.epochs);
    const n = stepCount(saved);
    let epoch = 0;
    let end = saved.epochSteps[0] ?? Infinity;
    for (let i = 0; i < n; i++) {
      this.emit({ kind: 'step', curve: this.name, step: i, logs: rowAt(saved.steps, i) });
      while (i + 1 === end) {
        this.emit({ kind: 'epoch', curve: this.name, epoch, step: i + 1, logs: rowAt(saved.epochs, epoch) });
        epoch++;
        end += saved.epochSteps[epoch] ?? Infinity;
      }
    }
  }
}

function rowAt(series: Record<string, number[]>, i: number): Record<string, number> {
  const row: Record<string, number> = {};
  for (const [k, v] of Object.entries(series)) if (Number.isFinite(v[i])) row[k] = v[i]!;
  return row;
}

export class StepLog {
  readonly curves = new Map<string, CurveRecorder>();
  private readonly listeners = new Set<StepLogListener>();

  /** The curve called `name`, made on first use. */
  curve(name: string): CurveRecorder {
    let c = this.curves.get(name);
    if (!c) {
      c = new CurveRecorder(name, emptyCurve(), (e) => this.emit(e));
      this.curves.set(name, c);
    }
    return c;
  }

  /** A curve with a name not used yet: `name`, else `name (2)`, `name (3)`, … */
  freshCurve(name: string): CurveRecorder {
    if (!this.curves.has(name)) return this.curve(name);
    let k = 2;
    while (this.curves.has(`${name} (${k})`)) k++;
    return this.curve(`${name} (${k})`);
  }

  on(listener: StepLogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: StepLogEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        // a broken listener (a full disk for TensorBoard, a closed live page) never stops training
        this.listeners.delete(l);
        console.error(`[course] step log listener stopped: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  get isEmpty(): boolean {
    return this.curves.size === 0;
  }

  toJSON(): StepLogJson {
    return { version: STEP_LOG_VERSION, curves: Object.fromEntries([...this.curves].map(([k, c]) => [k, c.data])) };
  }
}

/** Read metrics.json's stepLog back; null when the file has none (runs from before per-step logging). */
export function readStepLog(metrics: unknown): StepLogJson | null {
  const s = (metrics as { stepLog?: StepLogJson } | null)?.stepLog;
  if (!s || typeof s !== 'object' || typeof s.curves !== 'object' || s.curves === null) return null;
  for (const c of Object.values(s.curves)) {
    if (!c || typeof c.steps !== 'object' || !Array.isArray(c.epochSteps) || typeof c.epochs !== 'object') return null;
    // JSON has no NaN: compactJson writes null, read back as NaN
    for (const group of [c.steps, c.epochs]) for (const [k, v] of Object.entries(group)) group[k] = v.map((x) => (typeof x === 'number' ? x : NaN));
  }
  return s;
}

/**
 * x positions in epochs for a curve's steps: step k of epoch e (0-based) of s steps sits at
 * e + (k + 1) / s, so the last step of epoch 1 is at 1.0, where epoch 1's validation point is.
 * Steps after the last finished epoch use the previous epoch's step count.
 */
export function stepEpochX(c: CurveData): number[] {
  const n = stepCount(c);
  const xs: number[] = [];
  let e = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    while (k === 0 && c.epochSteps[e] === 0) e++; // epochs without steps (an old checkpoint's)
    const s = c.epochSteps[e] ?? (c.epochSteps.at(-1) || n);
    xs.push(e + (k + 1) / Math.max(1, s));
    k++;
    if (k >= s) {
      e++;
      k = 0;
    }
  }
  return xs;
}
