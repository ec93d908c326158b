// Issue 8, item 3: one describe per numbered finding (1-12), each test on both backends, asserting the
// fixed behaviour: values bit for bit against the copying path (or a reference), errors by type and by
// a message that names the argument and the value. Every test here failed on the code before the fixes
// (ba5f9d7), except where a comment says why it could not.
//
// Self-contained on purpose (imports only the public entry points), so that the file also runs
// against an older tree. FINDINGS_BIG=0 skips the two tests that hold 2 GiB of memory per backend.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, type Segloss } from '../src/index.js';
import { tfjsLosses } from '../src/tfjs.js';
import { rng } from './helpers.js';

type BackendName = 'wasm' | 'js';
const BACKENDS: BackendName[] = ['wasm', 'js'];
const BIG = process.env.FINDINGS_BIG !== '0';

// one compiled module for every fresh wasm instance
const wasmModule = new WebAssembly.Module(readFileSync(new URL('../build/kernels.wasm', import.meta.url)));
// (one thread, non-shared memory: findings 1-12 are about one instance's memory, stale views among them)
const fresh = (backend: BackendName): Promise<Segloss> =>
  init(backend === 'wasm' ? { backend, wasm: wasmModule, threads: 1 } : { backend });

const randomLogits = (rand: () => number, n: number) => Float32Array.from({ length: n }, () => (rand() - 0.5) * 8);
const randomLabels = (rand: () => number, n: number, C: number, ignore?: number) =>
  Int32Array.from({ length: n }, () => (ignore !== undefined && rand() < 0.1 ? ignore : Math.floor(rand() * C)));

/** Index of the first element that differs bitwise (NaN equals NaN), or -1; -2 on different lengths. */
function bitDiff(a: Float32Array | number, b: Float32Array | number): number {
  const same = (p: number, q: number) => Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q));
  if (typeof a === 'number' || typeof b === 'number') return same(a as number, b as number) ? -1 : 0;
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return i;
  return -1;
}

type Result = { loss: number | Float32Array; grad?: Float32Array };
/** A detached copy of a result (views of wasm memory are copied out). */
const copy = (r: Result): Result => ({
  loss: typeof r.loss === 'number' ? r.loss : r.loss.slice(),
  grad: r.grad?.slice(),
});
function expectSameBits(got: Result, want: Result, what: string): void {
  expect(bitDiff(got.loss, want.loss), `${what}: loss ${String(got.loss)} vs ${String(want.loss)}`).toBe(-1);
  expect(got.grad, `${what}: gradient`).toBeDefined();
  expect(bitDiff(got.grad!, want.grad!), `${what}: first differing gradient element`).toBe(-1);
}

/** Error class and message of a call that must throw. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}
function expectError(f: () => unknown, type: ErrorConstructor, message: RegExp): void {
  const e = thrown(f);
  expect(`${e.constructor.name}: ${e.message}`).toMatch(message);
  expect(e).toBeInstanceOf(type);
}

/** Fills the rest of the linear memory with a block, so that the next allocation must grow it. */
function fillToEnd(seg: Segloss): { free(): void } | undefined {
  // first fit: a block lands above the highest live one; this one then ends at the memory's end
  const probe = seg.alloc(Uint8Array, 1);
  const room = seg.memoryBytes - probe.ptr;
  probe.free();
  return room > 0 ? seg.alloc(Uint8Array, room) : undefined;
}

const LOSS_CALLS: [string, (seg: Segloss, x: unknown, t: unknown, o: Record<string, unknown>) => Result][] = [
  ['crossEntropy', (s, x, t, o) => s.crossEntropy(x as never, t as never, { ...o, weight: [0.5, 1, 2], labelSmoothing: 0.1 } as never)],
  ['focal', (s, x, t, o) => s.focal(x as never, t as never, o as never)],
  ['binaryCrossEntropy', (s, x, t, o) => s.binaryCrossEntropy(x as never, t as never, o as never)],
  ['dice', (s, x, t, o) => s.dice(x as never, t as never, { ...o, squared: false } as never)],
  ['iou', (s, x, t, o) => s.iou(x as never, t as never, o as never)],
  ['tversky', (s, x, t, o) => s.tversky(x as never, t as never, { ...o, alpha: 0.3, beta: 0.7, gamma: 1.5 } as never)],
  ['combined CE + dice', (s, x, t, o) =>
    s.combined(x as never, t as never, { ...o, terms: [{ loss: 'crossEntropy', weight: 0.5 }, { loss: 'dice', weight: 0.5 }] } as never) as Result],
];

describe.each(BACKENDS)('finding 1 (%s): a call that grows memory while WasmArray arguments are live gives the copying bits', (backend) => {
  it("README's zero-copy example on a fresh instance, Uint8Array labels, first call", async () => {
    const seg = await fresh(backend);
    const reference = await fresh(backend);
    const [N, C, H, W] = [8, 21, 256, 256];
    const shape = [N, C, H, W];
    const rand = rng(11);
    const logits = randomLogits(rand, N * C * H * W);
    const mask = Uint8Array.from({ length: N * H * W }, () => (rand() < 0.1 ? 255 : Math.floor(rand() * C)));
    const input = seg.alloc(Float32Array, N * C * H * W);
    const labels = seg.alloc(Uint8Array, N * H * W);
    const grad = seg.alloc(Float32Array, N * C * H * W);
    input.view.set(logits);
    labels.view.set(mask);
    const { loss } = seg.crossEntropy(input, labels, { shape, ignoreIndex: 255, out: grad });
    const want = reference.crossEntropy(logits, mask, { shape, ignoreIndex: 255, grad: true });
    expectSameBits({ loss, grad: grad.view }, want, 'README example');
    input.free();
    labels.free();
    grad.free();
  });

  for (const [name, run] of LOSS_CALLS) {
    it(`${name}: Int32Array labels and out in memory, the blocks reaching the end of memory`, async () => {
      const seg = await fresh(backend);
      const reference = await fresh(backend);
      const shape = [2, 3, 5, 7];
      const n = 2 * 3 * 35;
      const rand = rng(12);
      const x = randomLogits(rand, n);
      const t = randomLabels(rand, 70, 3);
      const input = seg.alloc(Float32Array, n);
      const target = seg.alloc(Int32Array, 70);
      const out = seg.alloc(Float32Array, n);
      input.view.set(x);
      target.view.set(t);
      const filler = fillToEnd(seg);
      const before = seg.memoryBytes;
      const got = copy(run(seg, input, target, { shape, out }));
      expect(seg.memoryBytes, 'the call had to grow the memory').toBeGreaterThan(before);
      expect(got.grad!.length).toBe(n);
      expectSameBits({ loss: got.loss, grad: out.view }, run(reference, x, t, { shape, grad: true }), name);
      filler?.free();
    });

    it(`${name}: only the input in memory, grad: true`, async () => {
      const seg = await fresh(backend);
      const reference = await fresh(backend);
      const shape = [2, 3, 5, 7];
      const n = 2 * 3 * 35;
      const rand = rng(13);
      const x = randomLogits(rand, n);
      const t = Uint8Array.from(randomLabels(rand, 70, 3));
      const input = seg.alloc(Float32Array, n);
      input.view.set(x);
      const filler = fillToEnd(seg);
      const got = copy(run(seg, input, t, { shape, grad: true }));
      expectSameBits(got, run(reference, x, t, { shape, grad: true }), name);
      filler?.free();
    });
  }
});

describe.skipIf(!BIG).each(BACKENDS)('finding 2 (%s): offsets past 2 GiB work; past 4 GiB a RangeError says how much and the limit', (backend) => {
  it('alloc of 2^31 + 100 bytes, then losses: positive pointers and the copying bits', async () => {
    let seg: Segloss | undefined = await fresh(backend);
    const reference = await fresh(backend);
    const big = seg.alloc(Uint8Array, 2 ** 31 + 100);
    expect(big.ptr).toBeGreaterThan(0);
    const shape = [2, 3, 4, 4];
    const n = 96;
    const rand = rng(21);
    const x = randomLogits(rand, n);
    const t = randomLabels(rand, 32, 3);
    const input = seg.alloc(Float32Array, n);
    const out = seg.alloc(Float32Array, n);
    expect(input.ptr).toBeGreaterThan(2 ** 31);
    expect(out.ptr).toBeGreaterThan(2 ** 31);
    input.view.set(x);
    const want = reference.dice(x, t, { shape, grad: true });
    expectSameBits(copy(seg.dice(x, t, { shape, grad: true })), want, 'copying, above 2 GiB');
    const r = seg.dice(input, t, { shape, out });
    expectSameBits({ loss: r.loss, grad: out.view }, want, 'zero-copy, above 2 GiB');
    input.free();
    out.free();
    big.free();
    seg = undefined; // 2 GiB: let it go
  });

  it('a request beyond 4 GiB is a RangeError with the bytes asked and the limit; the instance still works', async () => {
    const seg = await fresh(backend);
    const before = seg.memoryBytes;
    const e = thrown(() => seg.alloc(Float32Array, 2 ** 30 + 10));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toMatch(/^segloss: a block of 4294967336 bytes \(4\.00 GiB\) at offset \d+ needs \d+ bytes of linear memory/);
    expect(e.message).toMatch(/beyond the wasm32 limit of 4294967296 bytes \(4 GiB\)/);
    expect(seg.memoryBytes).toBe(before);
    const x = Float32Array.of(1, 2, 3, 4);
    expect(seg.crossEntropy(x, Int32Array.of(0, 1), { shape: [1, 2, 2] }).loss).toBe(
      (await fresh(backend)).crossEntropy(x, Int32Array.of(0, 1), { shape: [1, 2, 2] }).loss,
    );
  });
});

describe.each(BACKENDS)('finding 3 (%s): a WasmArray of another instance or backend is a TypeError that says so', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const t = Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1);
  for (const whose of ['another instance', 'the other backend'] as const) {
    it(`as input, target and out, from ${whose}`, async () => {
      const seg = await fresh(backend);
      const owner = await fresh(whose === 'another instance' ? backend : backend === 'wasm' ? 'js' : 'wasm');
      const ox = owner.alloc(Float32Array, 24);
      ox.view.set(x);
      const ot = owner.alloc(Int32Array, 8);
      ot.view.set(t);
      const oy = owner.alloc(Float32Array, 24);
      oy.view.set(x.map((v) => (v > 0 ? 1 : 0)));
      const oo = owner.alloc(Float32Array, 24);
      const other = /WasmArray of another segloss instance \(or backend\)/;
      expectError(() => seg.crossEntropy(ox, t, { shape }), TypeError, new RegExp(`input is a ${other.source}`));
      expectError(() => seg.crossEntropy(x, ot, { shape }), TypeError, new RegExp(`target is a ${other.source}`));
      expectError(() => seg.dice(x, oy, { shape }), TypeError, new RegExp(`target is a ${other.source}`));
      expectError(() => seg.crossEntropy(x, t, { shape, out: oo }), TypeError, new RegExp(`out is a ${other.source}`));
      // nothing was corrupted: the owner's arrays and this instance still give the right numbers
      const want = (await fresh(backend)).crossEntropy(x, t, { shape, grad: true });
      expectSameBits(copy(seg.crossEntropy(x, t, { shape, grad: true })), want, 'after the rejected calls');
    });
  }
});

describe.each(BACKENDS)('finding 4 (%s): out may not be (or overlap) the target', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const dense = x.map((v) => (v > 0 ? 1 : 0));
  it('the dense target as out: WasmArray, its view, a plain array, an overlapping subarray', async () => {
    const seg = await fresh(backend);
    const y = seg.alloc(Float32Array, 24);
    y.view.set(dense);
    const overlap = /RangeError: out must not overlap target/;
    expectError(() => seg.dice(x, y, { shape, out: y }), RangeError, overlap);
    expectError(() => seg.dice(x, y.view, { shape, out: y.view }), RangeError, overlap);
    expectError(() => seg.dice(x, y, { shape, out: y.view }), RangeError, overlap);
    const plain = dense.slice();
    expectError(() => seg.binaryCrossEntropy(x, plain, { shape, out: plain }), RangeError, overlap);
    const both = new Float32Array(30);
    both.set(dense);
    expectError(() => seg.dice(x, both.subarray(0, 24), { shape, out: both.subarray(6, 30) }), RangeError, overlap);
    expect(bitDiff(plain, dense)).toBe(-1); // nothing was written
    expect(bitDiff(y.view, dense)).toBe(-1);
  });

  it('an index map in memory whose bytes the out view overlaps', async () => {
    const seg = await fresh(backend);
    const t = seg.alloc(Int32Array, 8 + 24);
    t.view.set([0, 1, 2, 0, 1, 2, 0, 1]);
    const out = new Float32Array(t.view.buffer, t.ptr + 16, 24);
    expectError(() => seg.crossEntropy(x, t.view.subarray(0, 8), { shape, out }), RangeError, /out must not overlap target/);
  });
});

describe.each(BACKENDS)('finding 5 (%s): TF.js yTrue [N, H, W, 1] with C = 1 is an index map', (backend) => {
  const [N, H, W] = [2, 4, 5];
  const shape = [N, H, W, 1];
  const rand = rng(51);
  const x = randomLogits(rand, N * H * W);
  const t = Int32Array.from({ length: N * H * W }, () => (rand() < 0.2 ? 255 : rand() < 0.5 ? 1 : 0));
  let seg: Segloss;
  let losses: ReturnType<typeof tfjsLosses<tf.Tensor>>;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    seg = await fresh(backend);
    losses = tfjsLosses(tf, seg);
  });
  const valueAndGrad = (loss: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, yTrue: tf.Tensor) => {
    const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => loss(yTrue, p) as tf.Scalar)(tf.tensor(x, shape, 'float32'));
    const out = { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
    tf.dispose([value, grad, yTrue]);
    return out;
  };
  const opts = { shape, layout: 'NHWC' as const, grad: true };

  for (const dtype of ['int32', 'float32'] as const) {
    it(`${dtype} labels with 255 and ignoreIndex: 255, for BCE, sigmoid focal and Dice`, () => {
      const yTrue = () => tf.tensor(dtype === 'int32' ? t : Float32Array.from(t), shape, dtype);
      const bce = seg.binaryCrossEntropy(x, t, { ...opts, ignoreIndex: 255 });
      const gotBce = valueAndGrad(losses.binaryCrossEntropy({ ignoreIndex: 255 }), yTrue());
      expectSameBits(gotBce, { loss: Math.fround(bce.loss as number), grad: bce.grad }, 'binaryCrossEntropy');
      const focal = seg.focal(x, t, { ...opts, ignoreIndex: 255 });
      expectSameBits(valueAndGrad(losses.focal({ ignoreIndex: 255 }), yTrue()), { loss: Math.fround(focal.loss as number), grad: focal.grad }, 'focal');
      const dice = seg.dice(x, t, { ...opts, ignoreIndex: 255 });
      expectSameBits(valueAndGrad(losses.dice({ ignoreIndex: 255 }), yTrue()), { loss: Math.fround(dice.loss as number), grad: dice.grad }, 'dice');
    });
  }

  it('label 255 without ignoreIndex is an out-of-range label, not a target value of 255', () => {
    expectError(() => valueAndGrad(losses.binaryCrossEntropy(), tf.tensor(t, shape, 'int32')), RangeError,
      /target\[\d+\] = 255 is out of range: labels must be in \{0, 1\}/);
  });

  it('soft labels [N, H, W, 1] stay dense', () => {
    const soft = Float32Array.from({ length: N * H * W }, () => rand());
    const want = seg.binaryCrossEntropy(x, soft, opts);
    const got = valueAndGrad(losses.binaryCrossEntropy(), tf.tensor(soft, shape, 'float32'));
    expectSameBits(got, { loss: Math.fround(want.loss as number), grad: want.grad }, 'soft labels');
  });
});

describe.each(BACKENDS)('finding 6 (%s): Uint32 labels >= 2^31 are reported with their real value', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.cos(i));
  const cases: [string, number[], RegExp][] = [
    ['4294967196 (-100 as i32) is not the ignored label', [0, 1, 2, 0, 4294967196, 1, 1, 1], /target\[4\] = 4294967196 is out of range: labels must be in \[0, 3\) \(ignoreIndex -100\)/],
    ['4294967295 is not "-1"', [0, 1, 2, 0, 1, 4294967295, 1, 1], /target\[5\] = 4294967295 is out of range/],
    ['2^31', [0, 1, 2, 2 ** 31, 1, 2, 1, 1], /target\[3\] = 2147483648 is out of range/],
  ];
  for (const [name, values, message] of cases) {
    it(name, async () => {
      const seg = await fresh(backend);
      expectError(() => seg.crossEntropy(x, Uint32Array.from(values), { shape }), RangeError, message);
      expectError(() => seg.focal(x, Uint32Array.from(values), { shape }), RangeError, message);
      const inMemory = seg.alloc(Uint32Array, 8);
      inMemory.view.set(values);
      expectError(() => seg.crossEntropy(x, inMemory, { shape }), RangeError, message);
      const scan = new RegExp(message.source.replace(/ \\\(ignoreIndex -100\\\)/, ''));
      expectError(() => seg.dice(x, Uint32Array.from(values), { shape }), RangeError, scan);
    });
  }
});

describe.each(BACKENDS)('finding 7 (%s): options finite in float64 but not in float32 are RangeErrors', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const t = Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1);
  const y = x.map((v) => (v > 0 ? 1 : 0));
  const cases: [string, (s: Segloss) => unknown, RegExp][] = [
    ['CE weight 1e39', (s) => s.crossEntropy(x, t, { shape, weight: [1, 1e39, 1] }), /weight\[1\] = 1e\+39 overflows a float32/],
    ['Dice weight 1e39', (s) => s.dice(x, t, { shape, weight: [1e39, 1, 1] }), /weight\[0\] = 1e\+39 overflows a float32/],
    ['BCE posWeight 1e39', (s) => s.binaryCrossEntropy(x, y, { shape, posWeight: 1e39 }), /posWeight = 1e\+39 overflows a float32/],
    ['BCE posWeight [1, 1e39, 1]', (s) => s.binaryCrossEntropy(x, y, { shape, posWeight: [1, 1e39, 1] }), /posWeight\[1\] = 1e\+39 overflows a float32/],
    ['softmax focal alpha 1e39', (s) => s.focal(x, t, { shape, alpha: 1e39 }), /alpha = 1e\+39 overflows a float32/],
    ['sigmoid focal alpha -1e39', (s) => s.focal(x, y, { shape, alpha: -1e39 }), /alpha = -1e\+39 overflows a float32/],
    ['focal gamma 1e39', (s) => s.focal(x, t, { shape, gamma: 1e39 }), /gamma = 1e\+39 overflows a float32/],
    ['CE weight 1e-46', (s) => s.crossEntropy(x, t, { shape, weight: [1, 1e-46, 1] }), /weight\[1\] = 1e-46 is below the smallest normal float32/],
    ['Dice weight 1e-46', (s) => s.dice(x, t, { shape, weight: [1, 1, 1e-46] }), /weight\[2\] = 1e-46 is below the smallest normal float32/],
    ['BCE weight 1e-46', (s) => s.binaryCrossEntropy(x, y, { shape, weight: [1e-46, 1, 1] }), /weight\[0\] = 1e-46 is below the smallest normal float32/],
    // a subnormal weight would make the mean's 1 / (sum of weights) overflow float32: an infinite gradient
    ['CE weight 1e-40', (s) => s.crossEntropy(x, t, { shape, weight: [1e-40, 1e-40, 1e-40] }), /weight\[0\] = 1e-40 is below the smallest normal float32/],
    ['Tversky alpha 1e39', (s) => s.tversky(x, t, { shape, alpha: 1e39 }), /alpha = 1e\+39 overflows a float32/],
  ];
  it.each(cases)('%s', async (_, call, message) => {
    const seg = await fresh(backend);
    expectError(() => call(seg), RangeError, message);
  });
});

describe.each(BACKENDS)('finding 8 (%s): messages', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const t = Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1);
  it('an empty Float32Array of a wrong shape is a shape error, not "detached"', async () => {
    const seg = await fresh(backend);
    const e = thrown(() => seg.crossEntropy(new Float32Array(0), new Int32Array(8), { shape }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toMatch(/input length 0 does not match shape \[2, 3, 2, 2\] \(NCHW\), which holds 24 values/);
    expect(e.message).not.toMatch(/detached/);
  });

  it('stale views as target or out say they are detached', async () => {
    const seg = await fresh(backend);
    const f = seg.alloc(Float32Array, 24);
    const i = seg.alloc(Int32Array, 8);
    const u = seg.alloc(Uint8Array, 8);
    const [fv, iv, uv] = [f.view, i.view, u.view];
    seg.alloc(Uint8Array, 4 << 20).free(); // grows: the views above are detached
    const detached = (name: string) => new RegExp(`RangeError: ${name} is a view whose ArrayBuffer is detached: .*read WasmArray\\.view again`);
    expectError(() => seg.crossEntropy(x, iv, { shape }), RangeError, detached('target'));
    expectError(() => seg.crossEntropy(x, uv, { shape }), RangeError, detached('target'));
    expectError(() => seg.dice(x, fv, { shape }), RangeError, detached('target'));
    expectError(() => seg.crossEntropy(x, t, { shape, out: fv }), RangeError, detached('out'));
    expectError(() => seg.crossEntropy(fv, t, { shape }), RangeError, detached('input'));
  });

  it('sigmoid focal alpha range reads "<= 1"', async () => {
    const seg = await fresh(backend);
    const e = thrown(() => seg.focal(x, x.map((v) => (v > 0 ? 1 : 0)), { shape, alpha: 2 }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe('alpha must be a finite number <= 1, got 2');
  });
});

describe.each(BACKENDS)('finding 9 (%s): init options', (backend) => {
  it('a misspelt key is a TypeError naming it', async () => {
    const e = await init({ backend, backnd: 'js' } as never).then(() => undefined, (err: Error) => err);
    expect(e).toBeInstanceOf(TypeError);
    expect(e?.message).toMatch(/init: unknown option 'backnd' \(allowed: backend, wasm, threads, sharedWasm\)/);
    const e2 = await init({ backnd: 'js' } as never).then(() => undefined, (err: Error) => err);
    expect(e2?.message).toMatch(/unknown option 'backnd'/);
  });

  it.runIf(backend === 'wasm')("wasm: 'kernels.wasm' says a relative URL has no base and how to give one", async () => {
    // the js backend never loads the wasm, so only the wasm backend can reach this
    const e = await init({ backend, wasm: 'kernels.wasm' }).then(() => undefined, (err: Error) => err);
    expect(e).toBeInstanceOf(TypeError);
    expect(e?.message).toMatch(/"kernels\.wasm" is a relative URL/);
    expect(e?.message).toContain("new URL('kernels.wasm', import.meta.url)");
  });
});

describe.each(BACKENDS)('finding 10 (%s): ignoreIndex -100 with a dense target is accepted as PyTorch does', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(3 * i));
  const y = x.map((v) => (v > 0.2 ? 1 : 0));
  const calls: [string, (s: Segloss, o: Record<string, unknown>) => Result][] = [
    ['crossEntropy', (s, o) => s.crossEntropy(x, y, { shape, grad: true, ...o })],
    ['binaryCrossEntropy', (s, o) => s.binaryCrossEntropy(x, y, { shape, grad: true, ...o })],
    ['focal', (s, o) => s.focal(x, y, { shape, grad: true, ...o })],
    ['dice', (s, o) => s.dice(x, y, { shape, grad: true, ...o })],
    ['tversky', (s, o) => s.tversky(x, y, { shape, grad: true, ...o })],
  ];
  it.each(calls)('%s: -100 equals no ignoreIndex; 255 is still a TypeError', async (_, call) => {
    const seg = await fresh(backend);
    const plain = copy(call(seg, {}));
    expectSameBits(copy(call(seg, { ignoreIndex: -100 })), plain, 'ignoreIndex -100');
    expectError(() => call(seg, { ignoreIndex: 255 }), TypeError, /ignoreIndex applies to index targets only, got 255 with a dense target/);
  });
});

describe.each(BACKENDS)('finding 11 (%s): an empty input with a huge C does not grow memory', (backend) => {
  const shape = [4, 2 ** 20, 0];
  const empty = new Float32Array(0);
  const labels = new Int32Array(0);
  const cases: [string, (s: Segloss) => Result, number][] = [
    ['crossEntropy', (s) => s.crossEntropy(empty, labels, { shape, grad: true }), 0],
    ['focal', (s) => s.focal(empty, labels, { shape, grad: true }), 0],
    ['binaryCrossEntropy', (s) => s.binaryCrossEntropy(empty, labels, { shape, grad: true }), 0],
    ['dice', (s) => s.dice(empty, labels, { shape, grad: true }), 1],
    ['iou dense', (s) => s.iou(empty, new Float32Array(0), { shape, grad: true }), 1],
    ['tversky', (s) => s.tversky(empty, labels, { shape, grad: true }), 1],
    ['combined CE + dice', (s) => s.combined(empty, labels, { shape, grad: true, terms: [{ loss: 'crossEntropy' }, { loss: 'dice' }] }) as Result, 1],
    ['combined BCE + iou', (s) => s.combined(empty, labels, { shape, grad: true, terms: [{ loss: 'binaryCrossEntropy' }, { loss: 'iou' }] }) as Result, 1],
  ];
  it.each(cases)('%s', async (_, call, value) => {
    const seg = await fresh(backend);
    const r = call(seg);
    expect(r.loss).toBe(value);
    expect(r.grad!.length).toBe(0);
    // nothing sized by C is placed when there is no pixel (C floats alone would be 4 MiB)
    expect(seg.memoryBytes).toBeLessThanOrEqual(2 ** 20);
  });
});

describe.each(BACKENDS)('finding 12 (%s): region losses with every pixel ignored; bad smoothing, probabilities and dense targets', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const allIgnored = new Int32Array(8).fill(255);
  const zeros = (n: number) => new Float32Array(n);
  // value with no kept pixel: 1 - sn/sd; the gradient is +0 everywhere (no pixel contributes)
  const cases: [string, Record<string, unknown>, number][] = [
    ['defaults (sn 0, sd 1e-6): 1', {}, 1],
    ['sn = sd = 1: 0', { smoothNumerator: 1, smoothDenominator: 1 }, 0],
    ['sn = sd = 0: NaN', { smoothNumerator: 0, smoothDenominator: 0 }, NaN],
  ];
  for (const loss of ['dice', 'iou', 'tversky'] as const) {
    it.each(cases)(`${loss}, %s, zero gradient`, async (_, options, value) => {
      const seg = await fresh(backend);
      const r = seg[loss](x, allIgnored, { shape, ignoreIndex: 255, grad: true, ...options });
      expect(r.loss).toBe(value);
      expect(bitDiff(r.grad!, zeros(24))).toBe(-1);
    });
  }
  it('focal Tversky (gamma 2) with sn = sd = 0: 0 and a zero gradient', async () => {
    const seg = await fresh(backend);
    const r = seg.tversky(x, allIgnored, { shape, ignoreIndex: 255, grad: true, gamma: 2, smoothNumerator: 0, smoothDenominator: 0 });
    expect(r.loss).toBe(0);
    expect(bitDiff(r.grad!, zeros(24))).toBe(-1);
  });

  it('negative smoothing is a RangeError', async () => {
    const seg = await fresh(backend);
    expectError(() => seg.dice(x, allIgnored, { shape, ignoreIndex: 255, smoothDenominator: -1 }), RangeError,
      /smoothDenominator must be a finite number >= 0, got -1/);
    expectError(() => seg.iou(x, allIgnored, { shape, ignoreIndex: 255, smoothNumerator: -1e-6 }), RangeError,
      /smoothNumerator must be a finite number >= 0, got -0.000001/);
  });

  it("probabilities outside [0, 1] with activation 'none': the first bad index and value", async () => {
    const seg = await fresh(backend);
    const p = new Float32Array(96).fill(0.5);
    const labels = Int32Array.from({ length: 32 }, (_, i) => i % 3);
    p[37] = 1.5;
    p[61] = -2;
    expectError(() => seg.dice(p, labels, { shape: [2, 3, 4, 4], activation: 'none' }), RangeError, /input\[37\] = 1.5 must be in \[0, 1\]/);
    p[13] = NaN;
    expectError(() => seg.iou(p, labels, { shape: [2, 3, 4, 4], activation: 'none' }), RangeError, /input\[13\] = NaN must be in \[0, 1\]/);
    p.fill(0.5);
    p[95] = -0.25;
    const inMemory = seg.alloc(Float32Array, 96);
    inMemory.view.set(p);
    expectError(() => seg.tversky(inMemory, labels, { shape: [2, 3, 4, 4], activation: 'none' }), RangeError, /input\[95\] = -0.25 must be in \[0, 1\]/);
  });

  it('dense targets outside [0, 1] or NaN: the first bad index and value, for every loss', async () => {
    const seg = await fresh(backend);
    const xs = new Float32Array(96).fill(0.25);
    const y = new Float32Array(96);
    y[41] = 2;
    y[70] = -1;
    const s = [2, 3, 4, 4];
    const bad = /RangeError: target\[41\] = 2 must be in \[0, 1\]/;
    expectError(() => seg.dice(xs, y, { shape: s }), RangeError, bad);
    expectError(() => seg.iou(xs, y, { shape: s, activation: 'sigmoid' }), RangeError, bad);
    expectError(() => seg.crossEntropy(xs, y, { shape: s }), RangeError, bad);
    expectError(() => seg.binaryCrossEntropy(xs, y, { shape: s }), RangeError, bad);
    expectError(() => seg.focal(xs, y, { shape: s }), RangeError, bad);
    y[41] = 0;
    y[9] = NaN;
    expectError(() => seg.tversky(xs, y, { shape: s }), RangeError, /target\[9\] = NaN must be in \[0, 1\]/);
    const inMemory = seg.alloc(Float32Array, 96);
    inMemory.view.set(y);
    expectError(() => seg.binaryCrossEntropy(xs, inMemory, { shape: s, grad: true }), RangeError, /target\[9\] = NaN must be in \[0, 1\]/);
  });
});

describe.each(BACKENDS)('WasmArray and `using` (%s)', (backend) => {
  it('`using` frees the array at the end of its block', async () => {
    const seg = await fresh(backend);
    let ptr = -1;
    let escaped: { isFreed: boolean } | undefined;
    {
      using a = seg.alloc(Float32Array, 1000);
      ptr = a.ptr;
      escaped = a;
      expect(a.isFreed).toBe(false);
      a.view.fill(1);
    }
    expect(escaped!.isFreed).toBe(true);
    expect(() => (escaped as unknown as { view: unknown }).view).toThrow(/was freed/);
    const b = seg.alloc(Float32Array, 1000);
    expect(b.ptr).toBe(ptr); // the block was released and is reused
    b[Symbol.dispose]();
    expect(b.isFreed).toBe(true);
  });
});

describe.each(BACKENDS)('item 5 friction (%s): combined terms', (backend) => {
  const shape = [2, 3, 2, 2];
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const t = Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1);
  it('terms are the unweighted values; loss is their weighted sum', async () => {
    const seg = await fresh(backend);
    const r = seg.combined(x, t, { shape, terms: [{ loss: 'crossEntropy', weight: 0.25 }, { loss: 'dice', weight: 3 }] });
    expect(r.terms[0]).toBe(seg.crossEntropy(x, t, { shape }).loss);
    expect(r.terms[1]).toBe(seg.dice(x, t, { shape }).loss);
    expect(r.loss).toBe(0.25 * r.terms[0] + 3 * r.terms[1]);
  });
  it('a term whose weight is an array is a TypeError naming classWeight', async () => {
    const seg = await fresh(backend);
    expectError(() => seg.combined(x, t, { shape, terms: [{ loss: 'dice', weight: [1, 2, 3] as never }] }), TypeError,
      /terms\[0\]\.weight is the term's coefficient, a number, got \[1, 2, 3\]; a loss's per-class weights go in classWeight/);
  });
});
