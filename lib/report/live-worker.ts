/**
 * The live page's server (`course train --live`), in a worker thread: training blocks the main
 * thread for seconds at a time (a synchronous epoch of student code), the page must still answer.
 * The main thread posts every step, epoch, figure and the final report (live.ts); this thread
 * keeps a copy of the step log, draws its curves when the page asks (at most every
 * REDRAW_MS), and serves:
 *   /            the page (report.html's layout + a script that swaps <main> when /version changes)
 *   /main        the page's <main>        /version   a number that changes when there is news
 *   /files/...   the run's files (figures, samples) from its output folder
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { setFigureFormats } from '../plot/canvas.js';
import { stepCurveChart } from '../plot/curves.js';
import { curveGroups } from './curve-groups.js';
import { slug } from './finish.js';
import { reportMainHtml, toHtml } from './render.js';
import { Report } from './report.js';
import { StepLog, type StepLogEvent } from './step-log.js';
import type { LiveMessage, LiveWorkerData } from './live.js';

const REDRAW_MS = 1500;
const data = workerData as LiveWorkerData;
const out = path.resolve(data.out);
const liveDir = path.join(out, '.live');
setFigureFormats([]); // PNG only: the page shows PNGs, report.html gets the vector copies

const log = new StepLog();
const figures: { file: string; title: string }[] = [];
let finalMain: string | null = null;
let status = 'starting…';
let version = 0;
let drawnVersion = -1;
let lastDraw = 0;
const curveFiles = new Map<string, { file: string; caption: string }[]>();
let lastStep = '';

function apply(e: StepLogEvent): void {
  const c = log.curve(e.curve);
  if (e.kind === 'step') {
    c.step(e.logs);
    lastStep = `${e.curve}: step ${e.step + 1}${Object.entries(e.logs).map(([k, v]) => `, ${k} ${v.toPrecision(4)}`).join('')}`;
  } else c.endEpoch(e.logs);
  version++;
}

/** Redraw the curves if there is news and the last drawing is old enough. */
function redraw(): void {
  if (drawnVersion === version || Date.now() - lastDraw < REDRAW_MS) return;
  mkdirSync(liveDir, { recursive: true });
  for (const c of log.curves.values()) {
    const files: { file: string; caption: string }[] = [];
    for (const g of curveGroups(c.data)) {
      const file = path.join(liveDir, `${slug(c.name)}-${slug(g.name)}.png`);
      stepCurveChart(file, { title: `${c.name}: ${g.name}`, yLabel: g.name, series: g.series });
      files.push({ file, caption: `${g.name} of "${c.name}", ${c.steps} steps, ${c.epochsDone} epochs so far.` });
    }
    curveFiles.set(c.name, files);
  }
  drawnVersion = version;
  lastDraw = Date.now();
}

function liveReport(): Report {
  const r = new Report({ title: data.title, subtitle: data.subtitle });
  r.section('Live curves (every step, faint; EMA over it; epoch values marked)');
  if (log.curves.size === 0) r.text('Waiting for the first training step…');
  for (const files of curveFiles.values()) for (const f of files) r.figure(f.file, f.caption);
  if (figures.length) {
    r.section('Figures written so far');
    for (const f of figures) r.figure(f.file, f.title);
  }
  return r;
}

function mainHtml(): string {
  if (finalMain !== null) return finalMain;
  redraw();
  return reportMainHtml(liveReport(), { out, images: 'served', live: { status: `${status}${lastStep ? ` — ${lastStep}` : ''}` } });
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.svg': 'image/svg+xml', '.pdf': 'application/pdf', '.md': 'text/markdown; charset=utf-8', '.json': 'application/json', '.html': 'text/html; charset=utf-8', '.txt': 'text/plain; charset=utf-8' };

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function serveFile(req: IncomingMessage, res: ServerResponse, rel: string): void {
  const file = path.resolve(out, decodeURIComponent(rel));
  // only files under the run's folder
  if (!file.startsWith(out + path.sep) || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, 'text/plain', 'not found');
  res.writeHead(200, { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/') {
      const page = toHtml(new Report({ title: data.title }), { out, images: 'served', live: { status } });
      return send(res, 200, 'text/html; charset=utf-8', page.replace(/<main>[\s\S]*<\/main>/, () => `<main>\n${mainHtml()}\n</main>`));
    }
    if (url.pathname === '/main') return send(res, 200, 'text/html; charset=utf-8', mainHtml());
    if (url.pathname === '/version') {
      if (finalMain !== null) return send(res, 200, 'text/plain', 'final');
      // news shows at most every REDRAW_MS while steps stream in (each /main redraws the curves)
      const news = version !== drawnVersion && Date.now() - lastDraw >= REDRAW_MS;
      return send(res, 200, 'text/plain', String(news ? version : drawnVersion));
    }
    if (url.pathname.startsWith('/files/')) return serveFile(req, res, url.pathname.slice('/files/'.length));
    return send(res, 404, 'text/plain', 'not found');
  } catch (err) {
    return send(res, 500, 'text/plain', err instanceof Error ? err.message : String(err));
  }
});

parentPort!.on('message', (m: LiveMessage) => {
  switch (m.type) {
    case 'event':
      apply(m.event);
      break;
    case 'figure':
      if (!figures.some((f) => f.file === m.file)) figures.push({ file: m.file, title: m.title });
      version++;
      break;
    case 'status':
      status = m.text;
      version++;
      break;
    case 'final':
      finalMain = m.mainHtml;
      status = m.status;
      version++;
      break;
    case 'close':
      server.close();
      parentPort!.close();
      break;
  }
});

function listen(port: number): void {
  server.once('error', (err: NodeJS.ErrnoException) => {
    // the preferred port is taken (another run): any free one
    if (err.code === 'EADDRINUSE' && port !== 0) listen(0);
    else parentPort!.postMessage({ type: 'error', message: err.message });
  });
  server.listen(port, data.host, () => {
    const addr = server.address();
    parentPort!.postMessage({ type: 'listening', port: typeof addr === 'object' && addr ? addr.port : port });
  });
}
listen(data.port);
