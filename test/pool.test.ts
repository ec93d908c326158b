// The pool of threads (src/pool.ts): what init() picks by default, that an undisposed pool lets Node
// exit, and what happens when a worker dies: a call still returns the bits of the TypeScript backend,
// promptly, and seg.threads counts the live threads; a kernel that traps in a worker is an Error.
// The tests reach into the pool (seg.host.kernels.pool, its private slots) to end a worker as a crash
// would, and to call a kernel with a broken argument block: nothing public can do either.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ELEMENTWISE_ARGS, writeArgs } from '../src/abi.js';
import { init, type Segloss } from '../src/index.js';
import { KERNEL_NAMES } from '../src/kernels.js';
import type { Pool } from '../src/pool.js';
import { elementwise, firstBitDifference, labels, logits, rng } from './helpers.js';

/** What 'auto' gives in this process: the hardware concurrency capped at 8. */
const AUTO = Math.min(8, availableParallelism());

const kernelsBytes = readFileSync(new URL('../build/kernels.wasm', import.meta.url));
const sharedBytes = readFileSync(new URL('../build/kernels.shared.wasm', import.meta.url));

/** Instances a test opens; every pool among them ends after the test. */
const opened: Segloss[] = [];
async function open(options: Parameters<typeof init>[0] = {}): Promise<Segloss> {
  const seg = await init(options);
  opened.push(seg);
  return seg;
}
afterEach(() => opened.splice(0).forEach((s) => s.dispose()));

const poolOf = (seg: Segloss): Pool => seg.host.kernels.pool!;
/** The pool's private record of its workers. */
const slotsOf = (seg: Segloss) => (poolOf(seg) as unknown as { slots: { port: { terminate(): void }; live: boolean }[] }).slots;

/** Blocks this thread for `ms` without letting the event loop run (no 'exit' event can arrive). */
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe("threads: 'auto' by default", () => {
  it(`init() and init({ backend: 'wasm' }) run min(8, cores) = ${AUTO} thread(s)`, async () => {
    expect((await open()).threads).toBe(AUTO);
    expect((await open({ backend: 'wasm' })).threads).toBe(AUTO);
    expect((await open({ threads: 'auto' })).threads).toBe(AUTO);
    expect((await open({ wasm: kernelsBytes, sharedWasm: sharedBytes })).threads).toBe(AUTO);
  });

  it("threads: 1, backend 'js', or `wasm` without `sharedWasm` run one thread", async () => {
    for (const seg of [await open({ threads: 1 }), await open({ backend: 'js' }), await open({ backend: 'js', threads: 4 }), await open({ wasm: kernelsBytes }), await open({ wasm: kernelsBytes, threads: 4 })]) {
      expect(seg.threads).toBe(1);
      expect(seg.host.kernels.pool).toBeUndefined();
    }
  });

  it('a pool that cannot start: the default runs on one thread, an explicit `threads` rejects with the reason', async () => {
    const broken = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]); // not a module
    const seg = await open({ sharedWasm: broken });
    expect(seg.backend).toBe('wasm');
    expect(seg.threads).toBe(1);
    await expect(init({ sharedWasm: broken, threads: 2 })).rejects.toThrow(WebAssembly.CompileError);
    if (AUTO > 1) await expect(init({ sharedWasm: broken, threads: 'auto' })).rejects.toThrow(WebAssembly.CompileError);
  });

  it('dispose() ends the pool and leaves one thread that gives the same bits', async () => {
    const seg = await open({ threads: 3 });
    const rand = rng(11);
    const x = logits(rand, 4 * 3 * 200);
    const t = labels(rand, 4 * 200, 3, 255);
    const o = { shape: [4, 3, 200], ignoreIndex: 255, grad: true } as const;
    const a = seg.dice(x, t, o);
    expect(seg.threads).toBe(3);
    seg.dispose();
    expect(seg.threads).toBe(1);
    const b = seg.dice(x, t, o);
    expect(firstBitDifference(a.loss as number, b.loss as number)).toBe(-1);
    expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
    seg.dispose(); // idempotent
  });

  it('an undisposed pool does not keep Node running: `node -e` with init() and one call exits by itself', async () => {
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const script = `
      import { init } from ${JSON.stringify(entry)};
      const seg = await init();
      const x = Float32Array.from({ length: 4 * 3 * 64 }, (_, i) => Math.sin(i));
      const t = Int32Array.from({ length: 4 * 64 }, (_, i) => i % 3);
      const { loss } = seg.crossEntropy(x, t, { shape: [4, 3, 64], grad: true });
      console.log(JSON.stringify({ threads: seg.threads, loss }));`;
    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });
    const seconds = (performance.now() - started) / 1000;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).threads).toBe(AUTO);
    expect(seconds, 'the child exits as soon as its work is done').toBeLessThan(10);
  });
});

describe('a worker that dies', () => {
  // 6 samples: every thread of 3 gets two
  const [N, C, P] = [6, 4, 3000];
  const rand = rng(5);
  const x = logits(rand, N * C * P);
  const t = labels(rand, N * P, C, 255);
  const o = { shape: [N, C, P], ignoreIndex: 255, grad: true } as const;
  let js: Segloss;
  const reference = async () => (js ??= await init({ backend: 'js' })).combined(x, t, { ...o, terms: [{ loss: 'crossEntropy' }, { loss: 'dice' }, { loss: 'lovaszSoftmax' }] });
  const run = (seg: Segloss) => seg.combined(x, t, { ...o, terms: [{ loss: 'crossEntropy' }, { loss: 'dice' }, { loss: 'lovaszSoftmax' }] });
  const expectBits = (a: { loss: number; grad?: Float32Array; terms?: number[] }, b: typeof a) => {
    expect(firstBitDifference(a.loss, b.loss)).toBe(-1);
    expect(firstBitDifference(a.grad!, b.grad!)).toBe(-1);
    expect(a.terms).toEqual(b.terms);
  };

  it('between calls (its exit event seen): the next call is prompt, gives the bits of TypeScript, seg.threads drops', async () => {
    const want = await reference();
    const seg = await open({ threads: 3 });
    expectBits(run(seg), want);
    slotsOf(seg)[1].port.terminate();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the 'exit' event marks it dead
    expect(seg.threads).toBe(2);
    const started = performance.now();
    expectBits(run(seg), want);
    expect(performance.now() - started).toBeLessThan(1000);
    slotsOf(seg)[0].port.terminate();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seg.threads).toBe(1);
    expectBits(run(seg), want);
  });

  it('unseen (no event loop turn since): the call takes its parts back after the claim timeout, same bits, seg.threads drops', async () => {
    const want = await reference();
    const seg = await open({ threads: 3 });
    expectBits(run(seg), want);
    expect(poolOf(seg).claimTimeout).toBe(2000);
    slotsOf(seg)[0].port.terminate();
    block(300); // the thread is gone; its 'exit' event waits for this thread to yield
    const started = performance.now();
    const got = run(seg);
    const ms = performance.now() - started;
    expectBits(got, want);
    expect(seg.threads).toBe(2);
    expect(ms, 'one claim timeout, then the part runs here').toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(6000);
    // presumed dead: no more work for it, so no more waiting
    const again = performance.now();
    expectBits(run(seg), want);
    expect(performance.now() - again).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // its exit event: dead for good
    expect(seg.threads).toBe(2);
  });

  it('late (alive, but its job was taken back): the part runs here, and the worker gets work again once it shows it lives', async () => {
    const want = await reference();
    const seg = await open({ threads: 2 });
    const pool = poolOf(seg);
    const { kernels, arena } = seg.host;
    const n = 4096;
    const input = Float32Array.from({ length: 2 * n }, (_, i) => (i % 97) / 10 - 5);
    const exps = elementwise(await open({ threads: 1 }), 'expArray', input);
    const exp = KERNEL_NAMES.indexOf('expArray');
    const local = (args: number) => kernels.expArray(args);
    pool.claimTimeout = 0; // a job not claimed at once is taken back
    let taken = false;
    for (let k = 0; k < 100 && !taken; k++) {
      arena.reset();
      const xs = arena.putF32(input);
      const ys = arena.alloc(8 * n);
      const blocks = [0, 1].map((half) => {
        const b = arena.alloc(16);
        writeArgs(kernels.memory.buffer, b, ELEMENTWISE_ARGS, { x: xs + 4 * n * half, y: ys + 4 * n * half, n, factor: 0 });
        return b;
      });
      pool.run(exp, blocks, local);
      expect(firstBitDifference(arena.f32(ys, 2 * n), exps)).toBe(-1);
      taken = !slotsOf(seg)[0].live;
    }
    expect(taken, 'a job taken back').toBe(true);
    block(200); // the worker wakes, finds its job taken and says so
    expect(seg.threads).toBe(2);
    pool.claimTimeout = 2000;
    expectBits(run(seg), want);
    expect(seg.threads).toBe(2);
  });

  it('a kernel that traps in a worker is an Error; the pool keeps working', async () => {
    const want = await reference();
    const seg = await open({ threads: 2 });
    const pool = poolOf(seg);
    const { kernels, arena } = seg.host;
    arena.reset();
    const n = 64;
    const xs = arena.putF32(Float32Array.from({ length: n }, (_, i) => i / n));
    const ys = arena.alloc(4 * n);
    const good = arena.alloc(16);
    const bad = arena.alloc(16);
    writeArgs(kernels.memory.buffer, good, ELEMENTWISE_ARGS, { x: xs, y: ys, n, factor: 0 });
    writeArgs(kernels.memory.buffer, bad, ELEMENTWISE_ARGS, { x: 0x7ff00000, y: ys, n, factor: 0 }); // far beyond the memory
    const exp = KERNEL_NAMES.indexOf('expArray');
    const local = (args: number) => kernels.expArray(args);
    expect(() => pool.run(exp, [good, bad], local)).toThrow(/segloss: kernel expArray failed in a worker thread/);
    expect(() => pool.run(exp, [bad, good], local)).toThrow(WebAssembly.RuntimeError); // here: the trap itself
    pool.run(exp, [good, good], local);
    expect(seg.threads).toBe(2);
    expectBits(run(seg), want);
  });
});

afterAll(() => opened.forEach((s) => s.dispose()));
