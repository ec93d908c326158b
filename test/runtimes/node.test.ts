// The packed package in Node: what the tarball holds and where its exports lead, the fixture suite
// through cli.mjs in a child process (plain Node, as a user runs it), every form `init({ wasm })`
// accepts, and the fallback where wasm SIMD is missing.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadFixtures } from '../fixtures.js';
import { runConformance } from '../conformance/check.mjs';
import { CASES, autoThreadsOf, collect, expectAllPassed, expectExitsByItself, resolveExport, runJson, scratchDir, summary } from './scratch.js';

type Init = typeof import('../../src/index.js').init;

describe('the tarball', () => {
  it('holds the built package and nothing of the repo', async () => {
    const pkg = join(scratchDir(), 'node_modules/segloss');
    const files = (await readdir(pkg, { recursive: true })).map((f) => f.split('\\').join('/'));
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'build/kernels.wasm', 'dist/index.js', 'dist/index.d.ts', 'dist/workerd.js']),
    );
    expect(files.filter((f) => /^(src|assembly|test|bench|node_modules)\//.test(f))).toEqual([]);
  });

  it.each([
    ['node, deno, bun, browsers', ['node', 'deno', 'bun', 'browser', 'import', 'default'], 'dist/index.js'],
    ['workerd', ['workerd', 'worker', 'browser', 'import', 'default'], 'dist/workerd.js'],
  ])('exports %s the right entry, whose imports resolve with no runtime builtin', async (_, conditions, want) => {
    const dir = join(scratchDir(), 'node_modules/segloss');
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const entry = resolveExport(pkg.exports['.'], conditions);
    expect(entry).toBe(`./${want}`);
    // collect() throws on any import a bundler would have to resolve outside the package, such as
    // a literal import('node:fs/promises'), which browser bundlers and wrangler cannot resolve.
    const graph = await collect(dir, join(dir, want));
    expect([...graph.keys()]).toContain('dist/kernels.js');
    expect([...graph.keys()].some((m) => m.endsWith('.wasm'))).toBe(want === 'dist/workerd.js');
  });
});

describe('node, packed package', () => {
  it('runs the fixture suite on wasm and js', async () => {
    const dir = scratchDir();
    const report = await runJson(process.execPath, ['runtimes/cli.mjs'], { cwd: dir });
    console.log(`node ${report.runtime?.version}: ${summary(report)}, init() -> ${report.auto}, ${report.autoThreads} threads`);
    expectAllPassed(report, 'node', 2, autoThreadsOf(report, 'node'));
  });
});

describe('node, packed package, undisposed pool', () => {
  it("exits by itself after init() (threads 'auto') and one call, without dispose()", async () => {
    await expectExitsByItself(process.execPath, ['runtimes/exit.mjs'], 'node');
  });
});

describe('init({ wasm }) sources and the SIMD fallback, packed package', () => {
  const cases = loadFixtures();
  let init: Init;
  let wasmPath: string;
  let bytes: Uint8Array<ArrayBuffer>;

  beforeAll(async () => {
    // Resolved through the installed package's exports, as `import 'segloss'` from that project would.
    const require = createRequire(join(scratchDir(), 'package.json'));
    ({ init } = await import(pathToFileURL(require.resolve('segloss')).href));
    wasmPath = require.resolve('segloss/kernels.wasm');
    bytes = new Uint8Array(await readFile(wasmPath));
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const sources: [string, () => unknown][] = [
    ['bytes (Uint8Array)', () => bytes],
    ['bytes (ArrayBuffer)', () => bytes.slice().buffer],
    ['a WebAssembly.Module', () => new WebAssembly.Module(bytes)],
    ['a Response', () => new Response(bytes, { headers: { 'content-type': 'application/wasm' } })],
    ['a file: URL', () => pathToFileURL(wasmPath)],
    ['a file: URL string', () => pathToFileURL(wasmPath).href],
  ];

  it.each(sources)('accepts %s', async (_, source) => {
    const seg = await init({ wasm: source() as never });
    expect(seg.backend).toBe('wasm');
    expect(seg.threads, '`wasm` without `sharedWasm`: one thread').toBe(1);
    const result = await runConformance(seg, cases);
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(CASES);
  });

  it('falls back to the js backend where wasm SIMD is missing', async () => {
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    const seg = await init();
    expect(validate).toHaveBeenCalled();
    expect(seg.backend).toBe('js');
    expect((await init({ wasm: bytes })).backend).toBe('js');
    await expect(init({ backend: 'wasm' })).rejects.toThrow(/SIMD/);
    const result = await runConformance(seg, cases);
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(CASES);
  });
});
