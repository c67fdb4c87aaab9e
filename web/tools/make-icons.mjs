// Renders web/src/icon.svg to the PNG icons of the web app manifest
// (192 and 512 px) with headless Chromium. Run after changing the SVG:
//   node web/tools/make-icons.mjs
// and commit the PNGs (the build embeds them as they are).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { launchChromium } from './chromium.mjs';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const svg = readFileSync(join(src, 'icon.svg'), 'utf8');
const { context, close } = await launchChromium();
try {
  for (const size of [192, 512]) {
    const page = await context.newPage();
    await page.setViewportSize({ width: size, height: size });
    const data = 'data:image/svg+xml;base64,' + Buffer.from(svg).toString('base64');
    await page.setContent(`<html><body style="margin:0;background:transparent"><img src="${data}" width="${size}" height="${size}"></body></html>`);
    await page.waitForFunction(() => document.images[0].complete);
    const png = await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    writeFileSync(join(src, `icon-${size}.png`), png);
    console.log(`icon-${size}.png: ${png.length} bytes`);
    await page.close();
  }
} finally {
  await close();
}
