// The demo page in Debian Chromium (playwright-core, headless): it loads segloss from dist/ with the wasm
// backend, trains one per-pixel classifier per loss, draws masks and curves, and the Dice-trained model
// finds the object. Saves a screenshot into the OS temp dir.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../demo/web/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEPS = 150;
const LOSSES = ['crossEntropy', 'weightedCrossEntropy', 'focal', 'dice', 'iou', 'generalizedDice', 'lovaszSoftmax', 'crossEntropy+dice'];

interface Result {
  loss: string;
  iou: number;
  miou: number;
  perClassIou: number[];
  bestIou: number;
  curve: number[];
  iouCurve: number[];
  msPerStep: number;
  lossMsPerStep: number;
}
interface DemoState {
  done: boolean;
  step: number;
  steps: number;
  backend: string | null;
  foreground: number;
  results: Result[];
  error: string | null;
}

describe('demo/web page', () => {
  let close: () => Promise<void> = async () => {};
  let url = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: the demo page test needs Debian's chromium ` +
          '(apt-get install chromium) or CHROMIUM_PATH set to a Chromium binary',
      );
    }
    for (const built of ['dist/index.js', 'build/kernels.wasm']) {
      if (!existsSync(new URL(`../${built}`, import.meta.url))) {
        throw new Error(`${built} is missing: run \`npm run build\` before this test (npm test does)`);
      }
    }
    const started = await startServer({ port: 0, quiet: true });
    url = started.url;
    close = () => new Promise((resolve) => started.server.close(() => resolve()));
  });

  afterAll(async () => {
    await close();
  });

  it('serves the page, dist/ and build/kernels.wasm, and nothing else', async () => {
    const get = (path: string) => fetch(new URL(path, url));
    expect((await get('/demo/web/')).headers.get('content-type')).toMatch(/text\/html/);
    expect((await get('/build/kernels.wasm')).headers.get('content-type')).toBe('application/wasm');
    expect((await get('/dist/index.js')).status).toBe(200);
    expect((await get('/package.json')).status).toBe(404);
    expect((await get('/demo/web/../../package.json')).status).toBe(404);
    expect((await get('/dist/%2e%2e/package.json')).status).toBe(404);
  });

  it('trains with every loss, draws masks and curves, and Dice finds the object', async () => {
    const userDataDir = await mkdtemp(join(tmpdir(), 'segloss-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1000, height: 900 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
      });
      const started = Date.now();
      await page.goto(`${url}?steps=${STEPS}`);
      await page.waitForFunction(() => {
        const s = (window as unknown as { demoState?: DemoState }).demoState;
        return s && (s.done || s.error);
      }, undefined, { timeout: 75_000, polling: 250 });
      const seconds = (Date.now() - started) / 1000;
      const state = (await page.evaluate(() => (window as unknown as { demoState: DemoState }).demoState)) as DemoState;
      expect(state.error).toBeNull();
      expect(problems).toEqual([]);
      expect(state.backend).toBe('wasm');
      expect(state.step).toBe(STEPS);
      expect(state.foreground / (128 * 128)).toBeGreaterThan(0.005);
      expect(state.foreground / (128 * 128)).toBeLessThan(0.02);
      expect(state.results.map((r) => r.loss)).toEqual(LOSSES);
      for (const r of state.results) {
        expect(r.curve).toHaveLength(STEPS);
        expect(r.curve.every(Number.isFinite)).toBe(true);
        expect(r.curve.at(-1)!).toBeLessThan(r.curve[0]);
        expect(r.msPerStep).toBeGreaterThan(0);
      }
      const dice = state.results.find((r) => r.loss === 'dice')!;
      expect(dice.iou).toBeGreaterThan(0.5);
      // per-class IoU and mIoU from seg.confusionMatrix
      for (const r of state.results) {
        expect(r.perClassIou).toHaveLength(2);
        expect(r.perClassIou[1]).toBeCloseTo(r.iou, 12);
        expect(r.miou).toBeCloseTo((r.perClassIou[0] + r.perClassIou[1]) / 2, 12);
      }
      expect(dice.miou).toBeGreaterThan(0.7);

      // every canvas drew: masks show the three colors over the image, curves have ink on them
      const ink = await page.evaluate(() =>
        Array.from(document.querySelectorAll('canvas')).map((c) => {
          const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, c.width, c.height);
          const colors = new Set<number>();
          let bright = 0;
          let green = 0; // the true-positive color of the masks and of the IoU curve
          for (let i = 0; i < data.length; i += 4) {
            colors.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
            if (data[i] + data[i + 1] + data[i + 2] > 300) bright++;
            if (data[i] === 61 && data[i + 1] === 220 && data[i + 2] === 132) green++;
          }
          const owner = (c.closest('[data-loss]') as HTMLElement | null)?.dataset.loss;
          return { id: c.id || `${owner} ${c.height === c.width ? 'mask' : 'curves'}`, colors: colors.size, bright, green };
        }),
      );
      expect(ink).toHaveLength(2 + 2 * LOSSES.length);
      for (const c of ink) {
        expect(c.colors, `canvas ${c.id}`).toBeGreaterThanOrEqual(2);
        expect(c.bright, `canvas ${c.id}`).toBeGreaterThan(20);
      }
      const byId = Object.fromEntries(ink.map((c) => [c.id, c]));
      expect(byId.image.colors).toBeGreaterThan(1000); // a noisy photo-like image
      expect(byId['dice mask'].green).toBeGreaterThan(4 * 0.5 * state.foreground); // 2x scale: 4 screen pixels each
      for (const name of LOSSES) expect(byId[`${name} curves`].colors, `${name} curves`).toBeGreaterThan(4);

      const shot = join(tmpdir(), 'segloss-demo-web.png');
      await page.screenshot({ path: shot, fullPage: true });
      const table = state.results.map((r) =>
        `  ${r.loss.padEnd(22)} fg IoU ${r.iou.toFixed(3)} (best ${r.bestIou.toFixed(3)})  ` +
          `${r.msPerStep.toFixed(2)} ms/step, segloss ${r.lossMsPerStep.toFixed(2)} ms`,
      );
      console.log(`demo page: ${STEPS} steps x ${LOSSES.length} losses in ${seconds.toFixed(1)} s\n${table.join('\n')}\nscreenshot: ${shot}`);
    } finally {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    }
  }, 100_000);
});
