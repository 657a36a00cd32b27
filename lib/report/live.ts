/**
 * `course train --live`: the run's report page served on localhost while it trains, its curves
 * and figures refreshing as steps come in. The server runs in a worker thread (live-worker.ts)
 * so it answers while training holds the main thread; this side forwards the step log's events
 * and the figures lib/plot writes, and at the end the finished report.
 */
import { Worker } from 'node:worker_threads';
import type { RunContext, WrittenFigure } from './context.js';
import { reportMainHtml } from './render.js';
import type { Report } from './report.js';
import type { StepLogEvent } from './step-log.js';

export interface LiveWorkerData {
  out: string;
  title: string;
  subtitle?: string;
  host: string;
  port: number;
}

export type LiveMessage =
  | { type: 'event'; event: StepLogEvent }
  | { type: 'figure'; file: string; title: string }
  | { type: 'status'; text: string }
  | { type: 'final'; mainHtml: string; status: string }
  | { type: 'close' };

export const DEFAULT_LIVE_PORT = 8025;

export interface LivePage {
  url: string;
  /** forward the run's steps and figures from now on */
  attach(ctx: RunContext): void;
  status(text: string): void;
  /** show the finished report (its images served from the run's folder) */
  finish(report: Report, status: string): void;
  /** keep serving (the process stays up) until Ctrl-C */
  serveUntilInterrupted(): Promise<void>;
  close(): Promise<void>;
}

export async function startLivePage(o: { out: string; title: string; subtitle?: string; port?: number }): Promise<LivePage> {
  const data: LiveWorkerData = { out: o.out, title: o.title, subtitle: o.subtitle, host: '127.0.0.1', port: o.port ?? DEFAULT_LIVE_PORT };
  const worker = new Worker(new URL('./live-worker.mjs', import.meta.url), { workerData: data });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { type: string; port?: number; message?: string }) => {
      if (m.type === 'listening') resolve(m.port!);
      if (m.type === 'error') reject(new Error(m.message));
    });
  });
  // the page must not keep a finished run alive
  worker.unref();
  const post = (m: LiveMessage) => worker.postMessage(m);
  let detach: (() => void) | null = null;
  return {
    url: `http://127.0.0.1:${port}/`,
    attach(ctx) {
      const stop = ctx.log.on((event) => post({ type: 'event', event }));
      const onFigure = (f: WrittenFigure) => post({ type: 'figure', file: f.file, title: f.title });
      ctx.onFigure.add(onFigure);
      detach = () => {
        stop();
        ctx.onFigure.delete(onFigure);
      };
    },
    status: (text) => post({ type: 'status', text }),
    finish(report, status) {
      detach?.();
      post({ type: 'final', mainHtml: reportMainHtml(report, { out: o.out, images: 'served', live: { status } }), status });
    },
    serveUntilInterrupted() {
      worker.ref();
      return new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    },
    async close() {
      detach?.();
      post({ type: 'close' });
      await worker.terminate();
    },
  };
}
