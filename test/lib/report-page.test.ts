/**
 * The report a run writes: report.md and report.html from the same blocks (figures numbered and
 * captioned, tables, conclusions before the appendix), report.html self-contained; and, in a
 * real headless Chromium (test/support/browser.ts), report.html shows every figure and the live
 * page of `course train --live` refreshes while training. Screenshots are kept in
 * reports/test-artifacts/. Without a browser the page tests skip with the reason (CI installs
 * one and sets COURSE_REQUIRE_BROWSER=1, so there they cannot skip).
 */
import { describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, REPORTS_DIR } from '../../lib/exercises.js';
import { Report } from '../../lib/report/report.js';
import { toHtml, toMarkdown } from '../../lib/report/render.js';
import { findChromium, launchChromium } from '../support/browser.js';

const ARTIFACTS = path.join(REPORTS_DIR, 'test-artifacts');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'report-page-'));
const browser = findChromium();
const noBrowser = 'missing' in browser ? browser.missing : null;
if (noBrowser && process.env.COURSE_REQUIRE_BROWSER === '1') throw new Error(`COURSE_REQUIRE_BROWSER=1 but ${noBrowser}`);

/** A 2×2 PNG (red) and an SVG beside it, as lib/plot would write them. */
function fakeFigure(dir: string, name: string): string {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
  const file = path.join(dir, `${name}.png`);
  writeFileSync(file, png);
  writeFileSync(path.join(dir, `${name}.svg`), '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2" fill="red"/></svg>');
  return file;
}

describe('report.md and report.html', () => {
  test('figures numbered with captions, tables, conclusions before the appendix; HTML self-contained and escaped', () => {
    const out = tmp();
    const r = new Report({ title: 'Run <1>', subtitle: 'seed 42' });
    r.section('Curves').figure(fakeFigure(out, 'loss'), 'Loss per step. Look for: a **fall**.');
    r.table({ caption: 'Per epoch', columns: ['epoch', 'loss'], rows: [[1, 0.123456], [2, null]] });
    r.strip([fakeFigure(out, 'e1'), fakeFigure(out, 'e2')], 'Samples over epochs.', ['epoch 1', 'epoch 2']);
    r.conclusion('The loss fell from `2.3` to 0.5 <script>alert(1)</script>.');
    r.beginAppendix().section('All numbers').table({ caption: 'every scalar', columns: ['metric', 'value'], rows: [['a', 1]] });
    const md = toMarkdown(r, out);
    expect(md).toContain('![Figure 1](loss.png)');
    expect(md).toContain('*Figure 1.* Loss per step. Look for: a **fall**. (vector: [SVG](loss.svg))');
    expect(md).toContain('| 1 | 0.1235 |');
    expect(md).toContain('| 2 | — |');
    expect(md).toContain('*Figure 2.* Samples over epochs.');
    expect(md.indexOf('## Conclusions')).toBeGreaterThan(md.indexOf('*Figure 2.*'));
    expect(md.indexOf('## Conclusions')).toBeLessThan(md.indexOf('## All numbers'));
    const html = toHtml(r, { out, images: 'inline' });
    const srcs = [...html.matchAll(/<img src="([^"]*)"/g)].map((m) => m[1]!);
    expect(srcs).toHaveLength(3);
    // inline: the SVG where there is one (sharp in print), never a file or network reference
    for (const s of srcs) expect(s).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(html).not.toMatch(/<script/); // a finished report runs no code; the sentence's <script> is text
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<title>Run &lt;1&gt;</title>');
    expect(html).toContain('<code>2.3</code>');
    expect(html).toMatch(/@media print/);
  });
});

interface PageState {
  status: string;
  images: number;
  loaded: number;
  version: string;
}

describe.skipIf(noBrowser !== null)(`in headless Chromium${noBrowser ? ` (skipped: ${noBrowser})` : ''}`, () => {
  test('report.html of a short run shows every figure; the live page refreshes while it trains', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const out = tmp();
    // a run with several loops (one per activation) that takes some seconds: curves appear one by one
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'course.mjs'), 'train', '02-activations', '--quick', '--target', 'solutions', '--out', out, '--live', '0'], {
      cwd: ROOT,
      env: { ...process.env, COURSE_QUIET_BACKEND: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', () => {});
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const b = await launchChromium();
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t0 = Date.now();
        const poll = setInterval(() => {
          const m = /live report page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
          if (m) {
            clearInterval(poll);
            resolve(m[1]!);
          } else if (Date.now() - t0 > 120_000 || child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`no live URL printed: ${stdout}`));
          }
        }, 100);
      });
      const page = await b.newPage({ viewport: { width: 1000, height: 900 } });
      await page.goto(url);
      const state = (): Promise<PageState> =>
        page.evaluate(() => ({
          status: document.querySelector('#live-status')?.textContent ?? '',
          images: document.querySelectorAll('main img').length,
          loaded: [...document.querySelectorAll('main img')].filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length,
          version: document.body.dataset.version ?? '',
        }));
      const seen: PageState[] = [];
      let midShot = false;
      for (const t0 = Date.now(); Date.now() - t0 < 400_000; ) {
        const s = await state();
        if (!seen.length || s.version !== seen.at(-1)!.version || s.status !== seen.at(-1)!.status) seen.push(s);
        if (s.status.startsWith('Finished')) break;
        if (!midShot && s.images > 0 && s.loaded === s.images) {
          await page.screenshot({ path: path.join(ARTIFACTS, 'live-page-training.png'), fullPage: true });
          midShot = true;
        }
        await page.waitForTimeout(300);
      }
      const during = seen.filter((s) => s.status.startsWith('training'));
      // refreshed while training: several versions, more curves later than at first
      expect(new Set(during.map((s) => s.version)).size).toBeGreaterThanOrEqual(2);
      expect(Math.max(...during.map((s) => s.images))).toBeGreaterThan(Math.min(...during.map((s) => s.images)));
      expect(seen.at(-1)!.status).toMatch(/^Finished/);
      await page.waitForFunction(() => [...document.querySelectorAll('main img')].every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));
      const finalImages = await page.evaluate(() => document.querySelectorAll('main figure img').length);
      await page.screenshot({ path: path.join(ARTIFACTS, 'live-page-finished.png'), fullPage: true });

      // report.html: the same figures, every one inline and shown, from the file itself
      const html = path.join(out, 'report.html');
      expect(existsSync(html)).toBe(true);
      const pngs = readdirSync(out).filter((f) => f.endsWith('.png')).length + (existsSync(path.join(out, 'curves')) ? readdirSync(path.join(out, 'curves')).filter((f) => f.endsWith('.png')).length : 0);
      const file = await b.newPage({ viewport: { width: 1000, height: 900 } });
      await file.goto(`file://${html}`);
      const shown = await file.evaluate(() => {
        const imgs = [...document.querySelectorAll('main figure img')] as HTMLImageElement[];
        return { total: imgs.length, shown: imgs.filter((i) => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 50).length, inline: imgs.every((i) => i.src.startsWith('data:')) };
      });
      expect(shown.total).toBe(pngs);
      expect(shown.shown).toBe(shown.total);
      expect(shown.inline).toBe(true);
      expect(finalImages).toBe(pngs);
      await file.screenshot({ path: path.join(ARTIFACTS, 'report-page.png'), fullPage: true });
      console.log(`[report-page] screenshots in ${path.relative(process.cwd(), ARTIFACTS)}/ (${shown.total} figures; ${during.length} live states seen)`);
    } finally {
      await b.close();
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    }
  }, 600_000);
});
