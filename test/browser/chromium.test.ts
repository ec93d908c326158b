// A real browser: Debian's headless Chromium (never a downloaded one), driven by playwright-core,
// loads pages from a node:http server on 127.0.0.1 (random port) that serves the scratch project:
// the packed package as installed (/pkg/), the fixtures, the runtime-neutral runner (/conformance/)
// and the pages (/browser/). The plain
// page imports `segloss` through an import map and runs the fixture suite on both backends, then
// again in a module Web Worker; a second page is the same suite bundled by Vite from node_modules.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { build, createLogger } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Report, autoThreadsOf, expectAllPassed, scratchDir, summary } from '../runtimes/scratch.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/**
 * Serves `[path, target]` routes: a path ending in / maps a directory (index.html for the bare
 * directory), any other path one file. GET only, nothing outside the targets, every request logged.
 */
function serve(routes: [path: string, target: string][], log: string[], isolated = false): Promise<{ server: Server; origin: string }> {
  // COOP + COEP make the page cross-origin isolated: SharedArrayBuffer, so threads
  const isolation = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(path);
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    let file: string | undefined;
    for (const [route, target] of routes) {
      if (route.endsWith('/') ? !path.startsWith(route) : path !== route) continue;
      const candidate = route.endsWith('/') ? normalize(join(target, path.slice(route.length) || 'index.html')) : target;
      if (!route.endsWith('/') || candidate.startsWith(target + sep)) file = candidate;
      break;
    }
    if (req.method === 'GET' && file) {
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...isolation });
        res.end(body);
        return;
      } catch {
        // 404 below
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, origin: `http://127.0.0.1:${port}` });
    });
  });
}

type Outcome = {
  main: Report;
  worker?: Report;
  /** a confusion matrix built in a Worker (toJSON) merged with one built on the page, and one call over all */
  metrics?: { page: number; worker: number; workerBackend: string; merged: number[]; whole: number[]; meanIoU: number };
};

/** Opens `url` and waits for the page's results, failing fast (with the reason) on any error. */
async function results(context: BrowserContext, url: string): Promise<Outcome> {
  const page = await context.newPage();
  try {
    const broken = new Promise<never>((_, reject) => {
      page.on('pageerror', (e) => reject(new Error(`uncaught in ${url}: ${e.stack ?? e.message}`)));
      page.on('response', (r) => {
        if (r.status() >= 400) reject(new Error(`HTTP ${r.status()} for ${r.url()}`));
      });
      page.on('console', (m) => {
        if (m.type() === 'error') reject(new Error(`console error in ${url}: ${m.text()}`));
      });
    });
    broken.catch(() => {}); // only the race below listens; later errors must not go unhandled
    await page.goto(url);
    const reported = page.waitForFunction(() => (window as { __segloss?: unknown }).__segloss, null, { timeout: 60_000 });
    await Promise.race([reported, broken]);
    const out = (await page.evaluate(() => (window as { __segloss?: unknown }).__segloss)) as Outcome & { error?: string };
    if (out.error) throw new Error(`${url} failed: ${out.error}`);
    return out;
  } finally {
    await page.close();
  }
}

describe('chromium', () => {
  let server: Server | undefined;
  let isolatedServer: Server | undefined;
  let isolated: Outcome;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let plain: Outcome;
  let bundled: Outcome;
  const warnings: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the browser tests need Debian's chromium ` +
          '(apt-get install -y chromium) or CHROMIUM_PATH pointing at a Chromium binary',
      );
    }
    const dir = scratchDir();
    // The bundled page: Vite resolves `segloss` from the scratch project's node_modules.
    const logger = createLogger('warn');
    await build({
      configFile: false,
      root: dir,
      base: '/bundle/',
      logLevel: 'warn',
      customLogger: { ...logger, warn: (m) => warnings.push(m), warnOnce: (m) => warnings.push(m) },
      build: { outDir: join(dir, 'bundle'), emptyOutDir: true, rollupOptions: { input: join(dir, 'browser/bundle.html') } },
    });
    const served = await serve(
      [
        ['/pkg/', join(dir, 'node_modules/segloss')],
        ['/bundle/', join(dir, 'bundle')],
        ['/', dir],
      ],
      requests,
    );
    server = served.server;
    profile = await mkdtemp(join(tmpdir(), 'segloss-chromium-'));
    // A fresh profile each run; playwright takes it as userDataDir rather than --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      timeout: 60_000,
    });
    plain = await results(context, `${served.origin}/browser/index.html`);
    // the same page served with COOP/COEP from another origin (port)
    const servedIsolated = await serve([['/pkg/', join(dir, 'node_modules/segloss')], ['/', dir]], requests, true);
    isolatedServer = servedIsolated.server;
    isolated = await results(context, `${servedIsolated.origin}/browser/index.html`);
    bundled = await results(context, `${served.origin}/bundle/browser/bundle.html`);
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await new Promise((resolve) => (isolatedServer ? isolatedServer.close(resolve) : resolve(undefined)));
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('runs the fixture suite on wasm and js in the main thread (import map)', () => {
    const version = context?.browser()?.version() ?? '';
    console.log(`chromium ${version} main thread: ${summary(plain.main)}, init() -> ${plain.main.auto}, ${plain.main.autoThreads} thread(s)`);
    expect(plain.main.runtime).toMatchObject({ scope: 'window' });
    expectAllPassed(plain.main, 'chromium main thread', 1, 1); // not cross-origin isolated: one thread, also by default
  });

  it("runs 2 threads, and by default 'auto' (> 1), on a cross-origin-isolated page (COOP/COEP), main thread and Worker", () => {
    console.log(`chromium, isolated page: ${summary(isolated.main)}, init() -> ${isolated.main.autoThreads} threads; its worker: ${summary(isolated.worker!)}, init() -> ${isolated.worker!.autoThreads} threads`);
    expect(isolated.main.runtime).toMatchObject({ scope: 'window' });
    expectAllPassed(isolated.main, 'chromium isolated page, main thread', 2, autoThreadsOf(isolated.main, 'chromium isolated page'));
    expectAllPassed(isolated.worker!, 'chromium isolated page, worker', 2, autoThreadsOf(isolated.worker!, 'chromium isolated page, worker'));
    if (availableParallelism() > 1) expect(isolated.main.autoThreads, 'init() with no options on an isolated page').toBeGreaterThan(1);
  });

  it('runs the fixture suite on wasm and js in a module Web Worker', () => {
    console.log(`chromium worker: ${summary(plain.worker!)}, init() -> ${plain.worker!.auto}, ${plain.worker!.autoThreads} thread(s)`);
    expect(plain.worker!.runtime).toMatchObject({ scope: 'worker' });
    expectAllPassed(plain.worker!, 'chromium worker', 1, 1);
  });

  it('merges a confusion matrix built in a Web Worker (posted as toJSON) with one built on the page', () => {
    const m = plain.metrics!;
    console.log(`chromium metrics: page ${m.page} + worker ${m.worker} pixels, mIoU ${m.meanIoU.toFixed(4)}`);
    expect(m.workerBackend).toBe('wasm');
    expect(m.page).toBeGreaterThan(0);
    expect(m.worker).toBeGreaterThan(m.page);
    expect(m.merged).toEqual(m.whole);
    expect(m.whole.reduce((a, b) => a + b, 0)).toBe(m.page + m.worker);
  });

  it('finds the kernels beside the package by default (import.meta.url)', () => {
    expect(requests).toContain('/pkg/build/kernels.wasm');
  });

  it('runs the fixture suite on wasm and js from a Vite bundle', () => {
    console.log(`chromium, Vite bundle: ${summary(bundled.main)}, init() -> ${bundled.main.auto}`);
    expect(warnings).toEqual([]);
    // The bundler found the kernels through new URL(..., import.meta.url) and emitted them.
    expect(requests.filter((r) => /^\/bundle\/assets\/kernels-.*\.wasm$/.test(r)).length).toBeGreaterThan(0);
    expectAllPassed(bundled.main, 'chromium, Vite bundle', 1, 1);
  });
});
