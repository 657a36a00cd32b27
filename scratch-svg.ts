import { createCanvas, loadImage } from '@napi-rs/canvas';
import { readFileSync } from 'node:fs';
const png = await loadImage(readFileSync('/tmp/r06/optimisers.png'));
const svg = await loadImage(readFileSync('/tmp/r06/optimisers.svg'));
console.log(png.width, png.height, svg.width, svg.height);
const px = (img: any) => { const c = createCanvas(800, 450); const x = c.getContext('2d'); x.fillStyle = '#fff'; x.fillRect(0,0,800,450); x.drawImage(img, 0, 0, 800, 450); return x.getImageData(0, 0, 800, 450).data; };
const a = px(png), b = px(svg);
let d = 0, dark = 0; for (let i = 0; i < a.length; i += 4) { d += Math.abs(a[i]! - b[i]!); if (b[i]! < 100) dark++; }
console.log('mean abs diff', d / (a.length / 4), 'dark svg px', dark);
