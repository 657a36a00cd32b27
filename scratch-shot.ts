import { launchChromium } from './test/support/browser.js';
const [url, out, width] = process.argv.slice(2);
const b = await launchChromium();
const p = await b.newPage({ viewport: { width: Number(width ?? 1000), height: 900 } });
await p.goto(url!.includes('://') ? url! : `file://${url}`);
await p.waitForLoadState('load');
await p.screenshot({ path: out!, fullPage: true });
await b.close();
