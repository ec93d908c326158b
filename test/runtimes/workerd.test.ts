// workerd (Cloudflare's runtime, from npm through miniflare) runs the fixture suite on the packed
// package. miniflare does not bundle or resolve packages, and its automatic module collection stops
// at the bare `segloss` specifier (and at kernels.js's computed node:fs import, which only Node-like
// runtimes reach), so the test does what wrangler's bundler does: resolve `segloss` through the
// package's exports with the conditions workerd, worker, browser, collect that entry's static import
// graph, and hand miniflare the modules: ESM as ESModule, the .wasm as CompiledWasm (the runtime
// compiles it; Workers forbid WebAssembly.compile on bytes). The fixture cases go to the worker as the
// request body. workerd resolves a bare specifier to the module of that name, so a one-line `segloss`
// module re-exports the entry.
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES } from '../conformance/check.mjs';
import { type Report, collect, expectAllPassed, resolveExport, scratchDir, summary } from './scratch.js';

// The conditions wrangler's bundler resolves packages with (plus the defaults).
const CONDITIONS = ['workerd', 'worker', 'browser', 'import', 'default'];

describe('workerd (miniflare)', () => {
  let mf: Miniflare | undefined;
  let report: Report & { compileFromBytes?: string };
  let entry: string;

  beforeAll(async () => {
    const dir = scratchDir();
    const pkgDir = join(dir, 'node_modules/segloss');
    const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
    const target = resolveExport(pkg.exports['.'], CONDITIONS);
    if (!target) throw new Error("segloss's exports have no entry for workerd");
    entry = posix.join('node_modules/segloss', target);
    const modules = await collect(dir, join(dir, entry));
    // Module names are paths relative to modulesRoot; miniflare reads each `path` itself, so absolute.
    const at = (name: string) => join(dir, name);
    const options: MiniflareOptions = {
      modulesRoot: dir,
      modules: [
        { type: 'ESModule', path: at('runtimes/workerd-worker.mjs') },
        // workerd looks a bare specifier up beside the importing module: the worker is in runtimes/.
        { type: 'ESModule', path: at('runtimes/segloss'), contents: `export * from '../${entry}';\n` },
        { type: 'ESModule', path: at('conformance/check.mjs') },
        ...[...modules.values()].map((m) => ({ ...m, path: at(m.path) })),
      ],
      compatibilityDate: '2025-01-01',
    };
    // miniflare keeps state in os.tmpdir()/miniflare-*, which dispose() removes without waiting (so
    // it outlives a test worker that exits right after): put it in the scratch project instead.
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = join(dir, '.miniflare');
    await mkdir(process.env.TMPDIR);
    try {
      mf = new Miniflare(options);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    const cases = [];
    for (const family of FAMILIES) {
      cases.push(...JSON.parse(await readFile(join(dir, 'fixtures', `${family}.json`), 'utf8')).cases);
    }
    const response = await mf.dispatchFetch('http://localhost/', { method: 'POST', body: JSON.stringify(cases) });
    const text = await response.text();
    if (!response.ok) throw new Error(`worker answered ${response.status}: ${text}`);
    report = JSON.parse(text);
  });

  afterAll(async () => {
    await mf?.dispose();
  });

  it('resolves segloss through the workerd condition', () => {
    expect(entry).toBe('node_modules/segloss/dist/workerd.js');
  });

  it('cannot compile wasm from bytes (why the workerd entry imports the module)', () => {
    expect(report.compileFromBytes).not.toBe('allowed');
  });

  it('runs the fixture suite on wasm and js', () => {
    const workerd = createRequire(import.meta.url)('workerd/package.json').version as string;
    console.log(`workerd ${workerd} (miniflare): ${summary(report)}, init() -> ${report.auto}; compile from bytes: ${report.compileFromBytes}`);
    expectAllPassed(report, 'workerd', 1, 1); // no Workers or shared memory: one thread, also by default
  });
});
