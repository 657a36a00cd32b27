/**
 * A Report as Markdown (report.md, figures linked beside it) and as one HTML page (report.html:
 * self-contained, every image inline, readable in any browser and printable to PDF; the live
 * page of `course train --live` is the same page with its images served by URL).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatCell, type Block, type Report } from './report.js';

const rel = (out: string, file: string) => path.relative(out, file).split(path.sep).join('/');

/** The vector copies lib/plot wrote beside a PNG. */
export function vectorsOf(png: string): string[] {
  const base = png.replace(/\.png$/i, '');
  return ['svg', 'pdf'].map((e) => `${base}.${e}`).filter((f) => f !== png && existsSync(f));
}

/** Numbers for figures and tables, in order of appearance. */
function numbering(blocks: Block[]): Map<Block, string> {
  const labels = new Map<Block, string>();
  let fig = 0;
  let tab = 0;
  for (const b of blocks) {
    if (b.kind === 'figure' || b.kind === 'strip') labels.set(b, `Figure ${++fig}`);
    else if (b.kind === 'table') labels.set(b, `Table ${++tab}`);
  }
  return labels;
}

const mdEscapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function toMarkdown(report: Report, out: string): string {
  const n = numbering(report.blocks);
  const lines: string[] = [`# ${report.meta.title}`, ''];
  if (report.meta.subtitle) lines.push(report.meta.subtitle, '');
  const conclusions = () => {
    if (report.conclusions.length) lines.push('## Conclusions (computed from this run)', '', ...report.conclusions.map((c) => `- ${c}`), '');
  };
  report.blocks.forEach((b, at) => {
    if (at === report.appendixAt) conclusions();
    switch (b.kind) {
      case 'heading':
        lines.push(`## ${b.text}`, '');
        break;
      case 'text':
        lines.push(b.text, '');
        break;
      case 'figure': {
        const vec = vectorsOf(b.file).map((f) => `[${path.extname(f).slice(1).toUpperCase()}](${rel(out, f)})`);
        lines.push(`![${n.get(b)}](${rel(out, b.file)})`, '', `*${n.get(b)}.* ${b.caption}${vec.length ? ` (vector: ${vec.join(', ')})` : ''}`, '');
        break;
      }
      case 'strip':
        lines.push(`| ${b.labels.map(mdEscapeCell).join(' | ')} |`, `|${b.labels.map(() => '---').join('|')}|`);
        lines.push(`| ${b.files.map((f, i) => `![${mdEscapeCell(b.labels[i] ?? '')}](${rel(out, f)})`).join(' | ')} |`, '');
        lines.push(`*${n.get(b)}.* ${b.caption}`, '');
        break;
      case 'table':
        lines.push(`*${n.get(b)}.* ${b.caption}`, '');
        lines.push(`| ${b.columns.map(mdEscapeCell).join(' | ')} |`, `|${b.columns.map(() => '---').join('|')}|`);
        for (const r of b.rows) lines.push(`| ${r.map((c) => mdEscapeCell(formatCell(c))).join(' | ')} |`);
        lines.push('');
        break;
      case 'code':
        lines.push(`${b.caption}`, '', '```text', b.text, '```', '');
        break;
      case 'list':
        lines.push(...b.items.map((i) => `- ${i}`), '');
        break;
    }
  });
  if (report.appendixAt === null || report.appendixAt >= report.blocks.length) conclusions();
  return `${lines.join('\n').trimEnd()}\n`;
}

// ── HTML ──

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The Markdown the report's sentences use: `code`, **bold**, *emphasis*, [text](url). */
export function inlineHtml(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '<a href="$2">$1</a>');
}

export interface HtmlOptions {
  /** folder the report's files are relative to */
  out: string;
  /** 'inline': images as data: URLs (report.html); 'served': by URL from the live server */
  images: 'inline' | 'served';
  /** the live page: a banner and the script that refreshes the page while training runs */
  live?: { status: string; extraHtml?: string };
}

const MIME: Record<string, string> = { '.png': 'image/png', '.svg': 'image/svg+xml', '.pdf': 'application/pdf' };

/** A link to one of the run's files: relative beside report.html, under /files/ on the live server. */
function href(file: string, o: HtmlOptions): string {
  const r = rel(o.out, file);
  return o.images === 'served' ? `/files/${r.split('/').map(encodeURIComponent).join('/')}` : r;
}

/** The image to show for a figure: its SVG when there is one (sharp in print), else the PNG. */
function imageSrc(file: string, o: HtmlOptions): string {
  const svg = file.replace(/\.png$/i, '.svg');
  const show = file.endsWith('.png') && existsSync(svg) ? svg : file;
  if (o.images === 'served') return `${href(show, o)}?v=${existsSync(show) ? Math.round(statSync(show).mtimeMs) : 0}`;
  if (!existsSync(show)) return '';
  return `data:${MIME[path.extname(show).toLowerCase()] ?? 'application/octet-stream'};base64,${readFileSync(show).toString('base64')}`;
}

function blockHtml(b: Block, label: string | undefined, o: HtmlOptions): string {
  switch (b.kind) {
    case 'heading':
      return `<h2>${escapeHtml(b.text)}</h2>`;
    case 'text':
      return b.text.split(/\n\s*\n/).map((p) => `<p>${inlineHtml(p)}</p>`).join('\n');
    case 'figure': {
      const links = [b.file, ...vectorsOf(b.file)].map((f) => `<a href="${escapeHtml(href(f, o))}">${path.extname(f).slice(1).toUpperCase()}</a>`);
      return `<figure><img src="${imageSrc(b.file, o)}" alt="${escapeHtml(label ?? '')}: ${escapeHtml(b.caption)}">` +
        `<figcaption><b>${label}.</b> ${inlineHtml(b.caption)} <span class="files">${links.join(' · ')}</span></figcaption></figure>`;
    }
    case 'strip':
      return `<figure class="strip"><div class="cells">${b.files
        .map((f, i) => `<div><img src="${imageSrc(f, o)}" alt="${escapeHtml(b.labels[i] ?? '')}"><span>${escapeHtml(b.labels[i] ?? '')}</span></div>`)
        .join('')}</div><figcaption><b>${label}.</b> ${inlineHtml(b.caption)}</figcaption></figure>`;
    case 'table':
      return `<table><caption><b>${label}.</b> ${inlineHtml(b.caption)}</caption><thead><tr>${b.columns.map((c) => `<th>${inlineHtml(c)}</th>`).join('')}</tr></thead><tbody>${b.rows
        .map((r) => `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${inlineHtml(formatCell(c))}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;
    case 'code':
      return `<div class="code"><p class="code-caption">${inlineHtml(b.caption)}</p><pre>${escapeHtml(b.text)}</pre></div>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join('')}</ul>`;
  }
}

const STYLE = `
  body { font: 16px/1.5 "DejaVu Sans", system-ui, sans-serif; color: #222; max-width: 920px; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
  .subtitle { color: #555; margin-top: 0; }
  figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
  figcaption { font-size: 0.9rem; color: #333; } .files { color: #777; font-size: 0.8rem; } .files a { color: #777; }
  .strip .cells { display: flex; flex-wrap: wrap; gap: 6px; } .strip .cells div { flex: 1 1 0; min-width: 90px; max-width: 240px; text-align: center; font-size: 0.8rem; }
  .strip .cells img { width: 100%; }
  table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; } caption { text-align: left; padding-bottom: 0.3rem; }
  th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; } td code { white-space: pre-wrap; } th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  pre { background: #f6f6f6; padding: 0.6rem; white-space: pre-wrap; word-break: break-word; font-size: 0.85rem; }
  .code-caption { margin-bottom: 0.2rem; font-size: 0.9rem; }
  .live { background: #fff8d6; border: 1px solid #e6d17a; padding: 0.4rem 0.8rem; border-radius: 4px; }
  @media print { body { max-width: none; margin: 0; } .live { display: none; } figure, table, .code { break-inside: avoid; } h2 { break-after: avoid; } a { color: inherit; text-decoration: none; } }
`;

/** The page's <main>: everything but the frame (the live page swaps it in place). */
export function reportMainHtml(report: Report, o: HtmlOptions): string {
  const n = numbering(report.blocks);
  const parts: string[] = [];
  if (o.live) parts.push(`<p class="live" id="live-status">${inlineHtml(o.live.status)}</p>`, o.live.extraHtml ?? '');
  parts.push(`<h1>${escapeHtml(report.meta.title)}</h1>`);
  if (report.meta.subtitle) parts.push(`<p class="subtitle">${inlineHtml(report.meta.subtitle)}</p>`);
  const conclusions = () => {
    if (report.conclusions.length) parts.push('<h2>Conclusions (computed from this run)</h2>', `<ul>${report.conclusions.map((c) => `<li>${inlineHtml(c)}</li>`).join('')}</ul>`);
  };
  report.blocks.forEach((b, at) => {
    if (at === report.appendixAt) conclusions();
    parts.push(blockHtml(b, n.get(b), o));
  });
  if (report.appendixAt === null || report.appendixAt >= report.blocks.length) conclusions();
  return parts.join('\n');
}

/** The live page polls /version and swaps <main> when it changes (no reload: the scroll position stays). */
const LIVE_SCRIPT = `
let version = null;
async function poll() {
  try {
    const v = await (await fetch('/version', { cache: 'no-store' })).text();
    if (v !== version) {
      const html = await (await fetch('/main', { cache: 'no-store' })).text();
      document.querySelector('main').innerHTML = html;
      version = v;
      document.body.dataset.version = v;
    }
  } catch (e) { /* the run ended and the server with it: keep the last page */ }
  setTimeout(poll, 1000);
}
poll();
`;

export function toHtml(report: Report, o: HtmlOptions): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.meta.title)}</title><style>${STYLE}</style></head>
<body><main>
${reportMainHtml(report, o)}
</main>${o.live ? `<script>${LIVE_SCRIPT}</script>` : ''}</body></html>
`;
}
