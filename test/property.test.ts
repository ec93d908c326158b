// Property tests (fast-check) over random VALID calls of every loss, both layouts, every target dtype and
// the options, and over random BAD calls:
//  (a) wasm and TypeScript give bit-identical losses and gradients (NaN equals NaN);
//  (b) finite inputs give a finite loss and gradient;
//  (c) the loss matches an independent float64 reference (test/arbitraries.ts) and the gradient matches
//      central finite differences of that reference (step 1e-6: the reference is f64) on 3 random
//      coordinates per call (for the Lovász losses, piecewise linear in their sorted errors, only
//      coordinates more than 1e-5 from a kink, where the sort order flips or relu bends; the value is
//      always checked);
//  (d) the same call through WasmArrays on a FRESH instance, placed so that the call must grow the memory,
//      gives the same bits as the copying path on another instance;
//  (e) bad inputs always throw a TypeError or RangeError: they never return, never trap, and never
//      change the bits of the next valid call.
// CI runs a fixed seed and few runs; `npm run fuzz` (FUZZ_RUNS, FUZZ_SEED) runs every property long with
// a random seed, which fast-check prints with any counterexample.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, type Segloss, WasmArray } from '../src/index.js';
import { type Built, type Params, build, call, describeCall, hasLovasz, lovaszKinkDistance, paramsArb, reference } from './arbitraries.js';
import { firstBitDifference, rng } from './helpers.js';

const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED)
  : FUZZ_RUNS > 0 ? (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0 : 20261208;
if (FUZZ_RUNS > 0) console.log(`property fuzz: FUZZ_RUNS=${FUZZ_RUNS} FUZZ_SEED=${SEED}`);
fc.configureGlobal({ seed: SEED, includeErrorInReport: true });
/** runs of a property: `ci` in CI, FUZZ_RUNS when fuzzing */
const runs = (ci: number) => (FUZZ_RUNS > 0 ? FUZZ_RUNS : ci);
const TIMEOUT = FUZZ_RUNS > 0 ? 24 * 3600_000 : 120_000;
const BACKENDS = ['wasm', 'js'] as const;
type BackendName = (typeof BACKENDS)[number];

// one compiled module for every fresh wasm instance
const wasmModule = new WebAssembly.Module(readFileSync(new URL('../build/kernels.wasm', import.meta.url)));
// (one thread: (d) is about growing a non-shared memory, where a grown buffer detaches the old views)
const fresh = (backend: BackendName) => init(backend === 'wasm' ? { backend, wasm: wasmModule, threads: 1 } : { backend });

let shared: Record<BackendName, Segloss>;
/** wasm instances with a pool of threads (1 more than their workers), for (f) */
const THREADS = [2, 3, 8] as const;
let threaded: Segloss[];
beforeAll(async () => {
  shared = { wasm: await fresh('wasm'), js: await fresh('js') };
  threaded = await Promise.all(THREADS.map((threads) => init({ threads })));
});
afterAll(() => threaded.forEach((s) => s.dispose()));

type Result = { loss: number | Float32Array; grad?: Float32Array; terms?: number[] };

/** The first bitwise difference between two results, as a message, or undefined. */
function bitDifference(a: Result, b: Result): string | undefined {
  const la = a.loss;
  const lb = b.loss;
  if (typeof la !== typeof lb) return `loss ${String(la)} vs ${String(lb)}`;
  const i = firstBitDifference(la as Float32Array, lb as Float32Array);
  if (i >= 0) return typeof la === 'number' ? `loss ${la} vs ${lb}` : `loss[${i}] ${(la as Float32Array)[i]} vs ${(lb as Float32Array)[i]} (lengths ${(la as Float32Array).length}, ${(lb as Float32Array).length})`;
  if (!a.grad || !b.grad) return `grad ${a.grad ? 'present' : 'missing'} vs ${b.grad ? 'present' : 'missing'}`;
  const j = firstBitDifference(a.grad, b.grad);
  if (j >= 0) return `grad[${j}] ${a.grad[j]} vs ${b.grad[j]} (lengths ${a.grad.length}, ${b.grad.length})`;
  if (a.terms || b.terms) {
    if (!a.terms || !b.terms || a.terms.length !== b.terms.length) return `terms ${a.terms} vs ${b.terms}`;
    for (let k = 0; k < a.terms.length; k++) if (firstBitDifference(a.terms[k], b.terms[k]) >= 0) return `terms[${k}] ${a.terms[k]} vs ${b.terms[k]}`;
  }
  return undefined;
}

/** A detached copy of a result (views of wasm memory are copied out). */
const snapshot = (r: Result): Result => ({
  loss: typeof r.loss === 'number' ? r.loss : r.loss.slice(),
  grad: r.grad?.slice(),
  terms: r.terms?.slice(),
});

/** A valid call; an exception names the call. */
function attempt(seg: Segloss, b: Built): Result {
  try {
    return call(seg, b);
  } catch (e) {
    throw new Error(`${describeCall(b)} on ${seg.backend} threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
  }
}

// ------------------------------------------------------------------------------------------------
describe('properties of valid calls', () => {
  it('(a) wasm and TypeScript give bit-identical losses and gradients', () => {
    fc.assert(
      fc.property(paramsArb(), (p) => {
        const b = build(p);
        const w = attempt(shared.wasm, b);
        const j = attempt(shared.js, b);
        const d = bitDifference(w, j);
        if (d) throw new Error(`${describeCall(b)}: wasm vs js ${d}`);
      }),
      { numRuns: runs(500) },
    );
  }, TIMEOUT);

  it('(f) every thread count gives the bits of one thread, copying and zero-copy', () => {
    expect(threaded.map((s) => s.threads)).toEqual([...THREADS]);
    fc.assert(
      fc.property(paramsArb(), fc.integer({ min: 0, max: THREADS.length - 1 }), fc.boolean(), (p, k, zeroCopy) => {
        const b = build(p);
        const one = snapshot(attempt(shared.wasm, b));
        const seg = threaded[k];
        let r: Result;
        if (zeroCopy) {
          const x = seg.alloc(Float32Array, b.input.length);
          x.view.set(b.input);
          try {
            r = snapshot(attempt(seg, { ...b, input: x as unknown as Float32Array }));
          } finally {
            x.free();
          }
        } else {
          r = snapshot(attempt(seg, b));
        }
        const d = bitDifference(r, one);
        if (d) throw new Error(`${describeCall(b)}: ${THREADS[k]} threads${zeroCopy ? ' (zero-copy input)' : ''} vs 1: ${d}`);
      }),
      { numRuns: runs(300) },
    );
  }, TIMEOUT);

  it('(b) finite inputs give a finite loss and gradient', () => {
    fc.assert(
      fc.property(paramsArb(), fc.constantFrom(...BACKENDS), (p, backend) => {
        const b = build(p);
        const r = attempt(shared[backend], b);
        const values = typeof r.loss === 'number' ? [r.loss] : Array.from(r.loss);
        values.push(...(r.terms ?? []));
        const bad = values.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new Error(`${describeCall(b)}: loss value ${bad} is ${values[bad]}`);
        const g = r.grad!.findIndex((v) => !Number.isFinite(v));
        if (g >= 0) throw new Error(`${describeCall(b)}: grad[${g}] = ${r.grad![g]}`);
      }),
      { numRuns: runs(500) },
    );
  }, TIMEOUT);

  it('(c) the loss matches a float64 reference and the gradient its central finite differences', () => {
    const lovasz = { calls: 0, checked: 0, skipped: 0 };
    fc.assert(
      fc.property(paramsArb({ extreme: false, conditioned: true }), fc.constantFrom(...BACKENDS), (p, backend) => {
        const b = build(p);
        const r = attempt(shared[backend], b);
        const x = Float64Array.from(b.input);
        const ref = reference(b, x);
        // rel 1e-4, and an absolute floor of 1e-6 (1 + max |x|): f32 kernels evaluate terms such as
        // x + log(1 + e^-x) (BCE with y = 0, as PyTorch does) to a few ulp of |x|, however small the result
        let maxAbs = 0;
        for (const v of b.input) maxAbs = Math.max(maxAbs, Math.abs(v));
        const close = (a: number, e: number) => Math.abs(a - e) <= 1e-4 * Math.abs(e) + 1e-6 * (1 + maxAbs);
        if (typeof r.loss === 'number') {
          if (!close(r.loss, ref.total)) throw new Error(`${describeCall(b)}: loss ${r.loss}, reference ${ref.total}`);
        } else {
          const e = ref.entries!;
          if (r.loss.length !== e.length) throw new Error(`${describeCall(b)}: ${r.loss.length} loss entries, reference ${e.length}`);
          for (let i = 0; i < e.length; i++) {
            if (!close(r.loss[i], e[i])) throw new Error(`${describeCall(b)}: loss[${i}] ${r.loss[i]}, reference ${e[i]}`);
          }
        }
        if (r.terms) {
          for (let k = 0; k < r.terms.length; k++) {
            if (!close(r.terms[k], ref.entries![k])) throw new Error(`${describeCall(b)}: terms[${k}] ${r.terms[k]}, reference ${ref.entries![k]}`);
          }
        }
        const rand = rng(p.seed ^ 0x9e3779b9);
        const piecewise = hasLovasz(b);
        // the reference is f64, so a small step costs no precision; a large one (1e-3) misjudges curved
        // losses such as a region loss of probabilities near 0 with a tiny smoothing term
        const h = 1e-6;
        if (piecewise) lovasz.calls++;
        for (let k = 0; k < 3; k++) {
          const i = Math.floor(rand() * x.length);
          if (piecewise) {
            if (lovaszKinkDistance(b, x, i) <= 10 * h) {
              lovasz.skipped++;
              continue;
            }
            lovasz.checked++;
          }
          const xi = x[i];
          x[i] = xi + h;
          const up = reference(b, x).total;
          x[i] = xi - h;
          const down = reference(b, x).total;
          x[i] = xi;
          const numeric = (up - down) / (2 * h);
          const analytic = r.grad![i];
          if (!(Math.abs(analytic - numeric) <= 2e-3 * (1 + Math.abs(numeric)))) {
            throw new Error(`${describeCall(b)}: grad[${i}] = ${analytic}, finite difference of the reference ${numeric}`);
          }
        }
      }),
      { numRuns: runs(400) },
    );
    // the Lovász losses were generated, and most of their coordinates were checked
    expect(lovasz.calls).toBeGreaterThan(runs(400) / 10);
    expect(lovasz.checked).toBeGreaterThan(lovasz.skipped);
  }, TIMEOUT);
});

// ------------------------------------------------------------------------------------------------
type Mode = 'copy' | 'wasm' | 'view';
interface Placement {
  input: Mode;
  target: Mode;
  out: 'grad' | 'wasm' | 'view' | 'plain';
  /** pad first (the arguments end at the end of memory) or after them (a user block ends there) */
  padFirst: boolean;
  /** bytes left free between the last user block and the end of memory */
  slack: number;
}

const placementArb: fc.Arbitrary<Placement> = fc.record({
  input: fc.constantFrom<Mode>('wasm', 'copy', 'view'),
  target: fc.constantFrom<Mode>('wasm', 'copy', 'view'),
  out: fc.constantFrom('wasm' as const, 'grad' as const, 'view' as const, 'plain' as const),
  padFirst: fc.boolean(),
  slack: fc.integer({ min: 0, max: 1024 }),
});

const align16 = (n: number) => (n + 15) & ~15;

describe.each(BACKENDS)('(d) %s: WasmArrays on a fresh instance whose memory grows mid-call', (backend) => {
  it('give the same bits as the copying path on another instance', async () => {
    await fc.assert(
      fc.asyncProperty(paramsArb(), placementArb, async (p, place) => {
        const b = build(p);
        const expected = snapshot(attempt(shared[backend], b));
        const seg = await fresh(backend);
        const modes = { ...place };
        if (modes.input === 'copy' && modes.target === 'copy' && (modes.out === 'grad' || modes.out === 'plain')) modes.input = 'wasm';
        const TargetType = (b.target.constructor as typeof Float32Array);
        const sizes: number[] = [];
        if (modes.input !== 'copy') sizes.push(b.input.length * 4);
        if (modes.target !== 'copy') sizes.push(b.target.length * TargetType.BYTES_PER_ELEMENT);
        if (modes.out === 'wasm' || modes.out === 'view') sizes.push(b.input.length * 4);
        const probe = seg.alloc(Uint8Array, 1);
        const base = probe.ptr;
        probe.free();
        const total = sizes.reduce((a, s) => a + align16(Math.max(s, 1)), 0);
        let pad: WasmArray<Uint8Array> | undefined;
        if (modes.padFirst) {
          const room = seg.memoryBytes - base - total - modes.slack;
          if (room > 16) pad = seg.alloc(Uint8Array, room - 16);
        }
        const x = modes.input !== 'copy' ? seg.alloc(Float32Array, b.input.length) : undefined;
        const t = modes.target !== 'copy' ? seg.alloc(TargetType as never, b.target.length) as WasmArray<Float32Array> : undefined;
        const o = modes.out === 'wasm' || modes.out === 'view' ? seg.alloc(Float32Array, b.input.length) : undefined;
        if (!modes.padFirst) {
          const end = Math.max(base, ...[x, t, o].filter((a) => a).map((a) => a!.ptr + a!.length * a!.type.BYTES_PER_ELEMENT));
          const room = seg.memoryBytes - align16(end) - modes.slack;
          if (room > 0) pad = seg.alloc(Uint8Array, room);
        }
        x?.view.set(b.input);
        t?.view.set(b.target as Float32Array);
        const plainOut = modes.out === 'plain' ? new Float32Array(b.input.length) : undefined;
        const before = seg.memoryBytes;
        const arg = <T extends Float32Array>(a: WasmArray<T> | undefined, mode: Mode, plain: unknown) =>
          mode === 'copy' ? plain : mode === 'view' ? a!.view : a;
        const extra: Record<string, unknown> =
          modes.out === 'grad' ? { grad: true } : { out: modes.out === 'plain' ? plainOut : modes.out === 'view' ? o!.view : o };
        const what = `${describeCall(b)} with ${JSON.stringify(modes)}, memory ${before} bytes`;
        let r: Result;
        try {
          r = call(seg, b, arg(x, modes.input, b.input), arg(t, modes.target, b.target), extra);
        } catch (e) {
          throw new Error(`${what}: threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
        }
        const got = snapshot(r);
        const d = bitDifference(got, expected);
        if (d) throw new Error(`${what}: zero-copy vs copying ${d}; memory grew to ${seg.memoryBytes}`);
        if (o) {
          const j = firstBitDifference(o.view, expected.grad!);
          if (j >= 0) throw new Error(`${what}: out.view[${j}] = ${o.view[j]}, copying path ${expected.grad![j]}`);
        }
        if (x && firstBitDifference(x.view, b.input) >= 0) throw new Error(`${what}: the input WasmArray changed`);
        if (t && firstBitDifference(Float32Array.from(t.view), Float32Array.from(b.target)) >= 0) throw new Error(`${what}: the target WasmArray changed`);
        void pad;
      }),
      { numRuns: runs(150) },
    );
  }, TIMEOUT);
});

// ------------------------------------------------------------------------------------------------
// (e) bad inputs

/** Everything a bad call may use, per backend: the instance under attack and its neighbours. */
interface Victim {
  seg: Segloss;
  other: Segloss; // another instance of the same backend
  otherBackend: Segloss;
  stale: { f32: Float32Array; i32: Int32Array; u8: Uint8Array };
  fixed: () => Result[];
  expected: Result[];
}

async function victim(backend: BackendName): Promise<Victim> {
  const seg = await fresh(backend);
  const reference = await fresh(backend);
  const rand = rng(77);
  const shape = [2, 3, 5, 7];
  const n = 2 * 3 * 35;
  const x0 = Float32Array.from({ length: n }, () => (rand() - 0.5) * 8);
  const t0 = Uint8Array.from({ length: 70 }, () => (rand() < 0.2 ? 255 : Math.floor(rand() * 3)));
  const t1 = Int32Array.from({ length: 70 }, () => Math.floor(rand() * 3));
  const fx = seg.alloc(Float32Array, n);
  const ft = seg.alloc(Int32Array, 70);
  const fo = seg.alloc(Float32Array, n);
  fx.view.set(x0);
  ft.view.set(t1);
  // stale views: taken, then the memory grows
  const s1 = seg.alloc(Float32Array, 64);
  const s2 = seg.alloc(Int32Array, 64);
  const s3 = seg.alloc(Uint8Array, 64);
  const stale = { f32: s1.view, i32: s2.view, u8: s3.view };
  seg.alloc(Uint8Array, 8 << 20).free(); // grows: the views above are detached, and later calls need no growth
  const ceOptions = { shape, ignoreIndex: 255, weight: [0.5, 1, 2], labelSmoothing: 0.1, grad: true };
  const fixed = () => [
    snapshot(seg.crossEntropy(x0, t0, ceOptions)),
    snapshot(seg.dice(fx, ft, { shape, out: fo, squared: false, layout: 'NCHW' })),
    snapshot({ loss: 0, grad: fo.view }),
  ];
  const r1 = snapshot(reference.crossEntropy(x0, t0, ceOptions));
  const r2 = snapshot(reference.dice(x0, t1, { shape, grad: true, squared: false }));
  const expected = [r1, r2, { loss: 0, grad: r2.grad }];
  return {
    seg, other: await fresh(backend), otherBackend: await fresh(backend === 'wasm' ? 'js' : 'wasm'), stale, fixed, expected,
  };
}

/** A bad call: what to run, what it must throw, and a label for failures. */
interface BadCall {
  label: string;
  run: () => unknown;
  /** the error classes accepted (default TypeError and RangeError) */
  types?: ErrorConstructor[];
  message?: RegExp;
  cleanup?: () => void;
}

type Mutation = (b: Built, v: Victim, pick: number, rand: () => number) => BadCall | undefined;

const optionsOf = (b: Built, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ shape: b.shape, layout: b.p.layout, ...b.options, grad: true, ...extra });
const run = (v: Victim, b: Built, input: unknown, target: unknown, options: unknown) => () =>
  (v.seg[b.method] as (x: unknown, t: unknown, o: unknown) => unknown)(input, target, options);
const choose = <T>(list: readonly T[], pick: number): T => list[pick % list.length];
/** a copy of the options with one key set (in a combined call, on a term when `term`) */
const withOption = (b: Built, key: string, value: unknown): Record<string, unknown> => ({ ...optionsOf(b), [key]: value });

/** Numeric options that apply to the call, with setters. */
function numericOptions(b: Built): { name: string; set: (value: number) => Record<string, unknown> }[] {
  const o = b.options;
  const list: { name: string; set: (value: number) => Record<string, unknown> }[] = [];
  const scalar = (key: string) => list.push({ name: key, set: (value) => withOption(b, key, value) });
  const vector = (key: string) =>
    list.push({ name: `${key}[k]`, set: (value) => withOption(b, key, Array.from({ length: b.C }, (_, c) => (c === b.C - 1 ? value : 1))) });
  switch (b.p.kind) {
    case 'crossEntropy': vector('weight'); scalar('labelSmoothing'); break;
    case 'binaryCrossEntropy': vector('weight'); vector('posWeight'); scalar('posWeight'); break;
    case 'focalSigmoid': scalar('gamma'); scalar('alpha'); break;
    case 'focalSoftmax': scalar('gamma'); scalar('alpha'); vector('alpha'); break;
    case 'tversky': scalar('alpha'); scalar('beta'); scalar('gamma'); // falls through
    case 'dice': case 'iou': vector('weight'); scalar('smoothNumerator'); scalar('smoothDenominator'); scalar('clampDenominator'); break;
    case 'generalizedDice': scalar('smoothNumerator'); scalar('smoothDenominator'); break;
    case 'lovaszSoftmax': list.push({ name: 'classes[k]', set: (value) => withOption(b, 'classes', [value]) }); break;
    case 'lovaszHinge': break; // no numeric option
    case 'combined': {
      const terms = o.terms as Record<string, unknown>[];
      list.push({ name: 'terms[0].weight', set: (value) => ({ ...optionsOf(b), terms: [{ ...terms[0], weight: value }, ...terms.slice(1)] }) });
      break;
    }
  }
  return list;
}

const indexOnly = (b: Built) => b.labels !== undefined;
const denseOnly = (b: Built) => b.dense !== undefined;

const mutations: Record<string, { applies?: (b: Built) => boolean; mutate: Mutation; message?: RegExp }> = {
  'wrong input length': {
    mutate: (b, v, pick) => {
      const n = b.input.length;
      const len = choose([n + 1, n - 1, n + b.C, 0, 2 * n, n + 4], pick);
      return { label: `input of length ${len}`, run: run(v, b, new Float32Array(len).fill(0.5), b.target, optionsOf(b)) };
    },
  },
  'wrong shape': {
    mutate: (b, v, pick) => {
      const s = b.shape;
      const k = pick % s.length;
      const variants: unknown[] = [
        s.map((d, i) => (i === k ? d * 2 + 1 : d)),
        [...s, 2],
        s.map((d, i) => (i === k ? -d : d)),
        s.map((d, i) => (i === k ? d + 0.5 : d)),
        s.map((d, i) => (i === k ? NaN : d)),
        s.map((d, i) => (i === k ? Infinity : d)),
        s.map((d, i) => (i === k ? String(d) : d)),
        s.map((d, i) => (i === k ? 2 ** 32 + d : d)),
        [b.input.length],
        [],
        undefined,
        b.input.length,
        'NCHW',
        { 0: s[0], 1: s[1], length: 2 },
      ];
      const shape = choose(variants, pick >> 4);
      return { label: `shape ${JSON.stringify(shape)}`, run: run(v, b, b.input, b.target, { ...optionsOf(b), shape }) };
    },
  },
  'wrong target length': {
    mutate: (b, v, pick) => {
      const T = b.target.constructor as typeof Int32Array;
      const want = b.target.length;
      const len = choose([want + 1, want - 1, want * 2, 0, want + b.C], pick);
      if (len === want || (b.C === 1 && (len === b.N * b.P))) return undefined;
      return { label: `${T.name} target of length ${len}`, run: run(v, b, b.input, new T(len), optionsOf(b)) };
    },
  },
  'wrong argument types': {
    mutate: (b, v, pick) => {
      const n = b.input.length;
      const badTargets: unknown[] = [new Float64Array(n), Array.from(b.target), null, undefined, 3, 'labels', new Uint8ClampedArray(b.N * b.P), new BigInt64Array(b.N * b.P), new DataView(new ArrayBuffer(n * 4)), {}];
      const badInputs: unknown[] = [new Float64Array(n), Array.from(b.input), null, undefined, new Int32Array(n), new Uint8ClampedArray(n), 'x', b.input.buffer];
      const badOptions: unknown[] = [null, undefined, 'mean', 3, []];
      const which = pick % 3;
      const bad = choose(which === 0 ? badTargets : which === 1 ? badInputs : badOptions, pick >> 2);
      const label = `${['target', 'input', 'options'][which]} ${Object.prototype.toString.call(bad)}`;
      if (which === 0) return { label, run: run(v, b, b.input, bad, optionsOf(b)) };
      if (which === 1) return { label, run: run(v, b, bad, b.target, optionsOf(b)) };
      return { label, run: run(v, b, b.input, b.target, bad) };
    },
  },
  'out-of-range label': {
    applies: indexOnly,
    mutate: (b, v, pick, rand) => {
      const T = b.target.constructor as typeof Int32Array;
      const ig = (b.options.ignoreIndex as number | undefined) ??
        // combined: a crossEntropy or focal term ignores -100 by default, so -100 may be valid there
        (['crossEntropy', 'focalSoftmax', 'focalSigmoid', 'combined'].includes(b.p.kind) ? -100 : undefined);
      const dtypeLimit = { Uint8Array: [0, 255], Int8Array: [-128, 127], Uint16Array: [0, 65535], Int16Array: [-32768, 32767], Int32Array: [-(2 ** 31), 2 ** 31 - 1], Uint32Array: [0, 2 ** 32 - 1] }[T.name]!;
      const cap = b.p.kind === 'binaryCrossEntropy' || b.p.kind === 'focalSigmoid' || (b.C === 1 && b.method !== 'crossEntropy' && b.method !== 'lovaszSoftmax') ? Math.max(b.C, 2) : b.C;
      const candidates = [cap, cap + 1, 100, 127, 255, 256, 1000, 65535, 2 ** 31 - 1, -1, -2, -100, -128, -(2 ** 31)]
        .filter((c) => c >= dtypeLimit[0] && c <= dtypeLimit[1] && c !== ig && !(c >= 0 && c < cap));
      if (candidates.length === 0) return undefined;
      const value = choose(candidates, pick);
      const t = T.from(b.target as Int32Array);
      const at = Math.floor(rand() * t.length);
      t[at] = value;
      return { label: `${T.name} target[${at}] = ${value} (labels in [0, ${cap}), ignoreIndex ${ig})`, run: run(v, b, b.input, t, optionsOf(b)) };
    },
  },
  'Uint32 labels >= 2^31': {
    applies: indexOnly,
    mutate: (b, v, pick, rand) => {
      const t = Uint32Array.from(b.labels!, (l) => (l === b.options.ignoreIndex || l < 0 ? 0 : l));
      const value = choose([2 ** 32 - 100, 2 ** 32 - 1, 2 ** 31, 2 ** 31 + 255, 2 ** 32 - 2 ** 31 + 1], pick);
      const at = Math.floor(rand() * t.length);
      t[at] = value;
      const o = optionsOf(b);
      if (typeof o.ignoreIndex === 'number' && o.ignoreIndex < 0) delete o.ignoreIndex;
      return { label: `Uint32Array target[${at}] = ${value}`, run: run(v, b, b.input, t, o) };
    },
  },
  'non-finite or f32-overflowing option': {
    mutate: (b, v, pick) => {
      const list = numericOptions(b);
      if (list.length === 0) return undefined;
      const target = choose(list, pick);
      let value = choose([NaN, Infinity, -Infinity, 1e39, -1e39, 3.5e38], pick >> 3);
      if ((target.name === 'smoothNumerator' || target.name === 'smoothDenominator' || target.name === 'clampDenominator') && Number.isFinite(value)) value = NaN;
      if (b.p.kind === 'focalSigmoid' && target.name === 'alpha' && value < 0 && Number.isFinite(value)) value = -Infinity;
      return { label: `${target.name} = ${value}`, run: run(v, b, b.input, b.target, target.set(value)) };
    },
  },
  'out-of-range option': {
    mutate: (b, v, pick) => {
      const o = optionsOf(b);
      const C = b.C;
      const variants: [string, Record<string, unknown>][] = [];
      const k = b.p.kind;
      if (k === 'crossEntropy' || k === 'binaryCrossEntropy' || k === 'dice' || k === 'iou' || k === 'tversky') {
        variants.push(['weight negative', { ...o, weight: Array.from({ length: C }, (_, c) => (c === 0 ? -0.5 : 1)) }]);
        variants.push(['weight too long', { ...o, weight: new Array(C + 1).fill(1) }]);
      }
      if (k === 'crossEntropy') variants.push(['labelSmoothing 1.5', { ...o, labelSmoothing: 1.5 }], ['labelSmoothing -0.1', { ...o, labelSmoothing: -0.1 }]);
      if (k === 'binaryCrossEntropy') variants.push(['posWeight -1', { ...o, posWeight: -1 }], ['posWeight too short', { ...o, posWeight: new Array(C + 1).fill(1).slice(2) }]);
      if (k === 'focalSigmoid' || k === 'focalSoftmax' || k === 'tversky') variants.push(['gamma -0.5', { ...o, gamma: -0.5 }]);
      if (k === 'focalSigmoid') variants.push(['sigmoid alpha 1.5', { ...o, alpha: 1.5 }]);
      if (k === 'focalSoftmax') variants.push(['softmax alpha -1', { ...o, alpha: -1 }], ['softmax alpha wrong length', { ...o, alpha: new Array(C + 2).fill(1) }]);
      if (k === 'tversky') variants.push(['tversky alpha -0.1', { ...o, alpha: -0.1 }], ['tversky beta -1', { ...o, beta: -1 }]);
      if (k === 'dice' || k === 'iou' || k === 'tversky') variants.push(['clampDenominator -1e-7', { ...o, clampDenominator: -1e-7 }]);
      if (k === 'tversky' && o.reduction !== 'mean') variants.push(["gammaAfterMean without 'mean'", { ...o, gammaAfterMean: true }]);
      if (k === 'lovaszSoftmax') {
        variants.push(
          ['classes [C]', { ...o, classes: [C] }], ['classes [-1]', { ...o, classes: [-1] }], ['classes [0, 0]', { ...o, classes: [0, 0] }],
          ['classes [0.5]', { ...o, classes: [0.5] }], ['classes [2^31]', { ...o, classes: [2 ** 31] }],
        );
      }
      if (k === 'dice' || k === 'iou' || k === 'tversky' || k === 'generalizedDice') {
        variants.push(['smoothDenominator -1', { ...o, smoothDenominator: -1 }], ['smoothDenominator -1e-6', { ...o, smoothDenominator: -1e-6 }]);
        if (C === 1) variants.push(['includeBackground false with C = 1', { ...o, includeBackground: false }]);
      }
      if (variants.length === 0) return undefined;
      const [label, options] = choose(variants, pick);
      return { label, run: run(v, b, b.input, b.target, options) };
    },
  },
  'probabilities outside [0, 1] or dense targets outside [0, 1] or NaN': {
    mutate: (b, v, pick, rand) => {
      // a dense Lovász-hinge target must be exactly 0 or 1: 0.5 is bad there too
      const bad = b.p.kind === 'lovaszHinge' && pick % 8 === 7 ? 0.5 : choose([1.5, -0.25, NaN, 2, -1e-3, Infinity, 1.0000001], pick);
      const at = Math.floor(rand() * b.input.length);
      if (pick % 2 === 0 && b.dense) {
        const y = b.dense.slice();
        y[at] = bad;
        return { label: `dense target[${at}] = ${bad}`, run: run(v, b, b.input, y, optionsOf(b)) };
      }
      const region = b.p.kind === 'dice' || b.p.kind === 'iou' || b.p.kind === 'tversky' || b.p.kind === 'generalizedDice' || b.p.kind === 'lovaszSoftmax';
      const x = Float32Array.from(b.input, (z) => 1 / (1 + Math.exp(-z)));
      x[at] = bad;
      if (region) return { label: `activation 'none', input[${at}] = ${bad}`, run: run(v, b, x, b.target, { ...optionsOf(b), activation: 'none' }) };
      if (b.p.kind === 'binaryCrossEntropy') return { label: `fromLogits false, input[${at}] = ${bad}`, run: run(v, b, x, b.target, { ...optionsOf(b), fromLogits: false }) };
      if (!b.dense) return undefined;
      const y = b.dense.slice();
      y[at] = bad;
      return { label: `dense target[${at}] = ${bad}`, run: run(v, b, b.input, y, optionsOf(b)) };
    },
  },
  'unknown option key': {
    mutate: (b, v, pick) => {
      const key = choose(['ignore_index', 'Weight', 'pos_weight', 'smooth', 'eps', 'from_logits', 'reduce', 'size_average', 'labelsmoothing', 'class_weight', 'dim', 'axis'], pick);
      if (b.method === 'combined' && pick % 2) {
        const terms = b.options.terms as Record<string, unknown>[];
        return { label: `terms[0].${key}`, run: run(v, b, b.input, b.target, { ...optionsOf(b), terms: [{ ...terms[0], [key]: 1 }] }), types: [TypeError] };
      }
      return { label: `option ${key}`, run: run(v, b, b.input, b.target, { ...optionsOf(b), [key]: 1 }), types: [TypeError] };
    },
  },
  'wrong option types': {
    mutate: (b, v, pick) => {
      const o = optionsOf(b);
      const variants: [string, unknown][] = [
        ['layout', 'nchw'], ['layout', 1], ['reduction', 'avg'], ['reduction', b.method === 'combined' || b.method.startsWith('lovasz') ? 'none' : 'average'], ['grad', 1], ['grad', 'yes'],
      ];
      const k = b.p.kind;
      if (k === 'crossEntropy') variants.push(['weight', 2], ['weight', 'abc'], ['labelSmoothing', '0.1'], ['labelSmoothing', true]);
      if (k === 'binaryCrossEntropy') variants.push(['posWeight', '3'], ['posWeight', { length: b.C }], ['fromLogits', 0], ['weight', 1]);
      if (k === 'focalSigmoid' || k === 'focalSoftmax') variants.push(['gamma', '2'], ['alpha', 'x'], ['activation', 'relu'], ['gamma', null]);
      if (k === 'dice' || k === 'iou' || k === 'tversky') variants.push(['squared', 1], ['perSample', 'no'], ['includeBackground', 0], ['activation', 'softplus'], ['smoothDenominator', '1'], ['weight', 1], ['absentClasses', 'none'], ['clampDenominator', '1e-7']);
      if (k === 'tversky') variants.push(['gammaAfterMean', 1]);
      if (k === 'binaryCrossEntropy') variants.push(['meanOver', 'every']);
      if (k === 'generalizedDice') variants.push(['weightType', 'cube'], ['perSample', 'no'], ['activation', 'softplus'], ['smoothNumerator', '0'], ['weight', [1]]);
      if (k === 'lovaszSoftmax') variants.push(['activation', 'sigmoid'], ['classes', 'none'], ['classes', 2], ['classes', ['0']], ['classes', null], ['perImage', 'yes']);
      if (k === 'lovaszHinge') variants.push(['perImage', 1], ['activation', 'none'], ['classes', 'all'], ['weight', [1]]);
      if (k === 'combined') variants.push(['terms', [{ loss: 'lovaszHinge', classWeight: [1] }]], ['terms', [{ loss: 'lovaszSoftmax', classes: 'any' }]], ['terms', 'dice'], ['terms', []], ['terms', [{ loss: 'lovasz' }]], ['terms', [null]], ['terms', [{ loss: 'dice', weight: [1, 2] }]]);
      const [key, value] = choose(variants, pick);
      const message = key === 'terms' && Array.isArray(value) && (value[0] as { weight?: unknown })?.weight !== undefined ? /classWeight/ : undefined;
      return { label: `${key}: ${JSON.stringify(value)}`, run: run(v, b, b.input, b.target, { ...o, [key]: value }), message };
    },
  },
  'ignoreIndex misuse': {
    mutate: (b, v, pick) => {
      if (b.dense && pick % 2 === 0) {
        const value = choose([255, 0, -1, 1, 2 ** 31 - 1], pick >> 1);
        return { label: `ignoreIndex ${value} with a dense target`, run: run(v, b, b.input, b.target, { ...optionsOf(b), ignoreIndex: value }), types: [TypeError] };
      }
      const value = choose([2.5, 2 ** 31, -(2 ** 31) - 1, NaN, Infinity, '255', null, [255]], pick >> 1);
      return { label: `ignoreIndex ${String(value)}`, run: run(v, b, b.input, b.target, { ...optionsOf(b), ignoreIndex: value }) };
    },
  },
  'out misuse': {
    mutate: (b, v, pick) => {
      const n = b.input.length;
      const variants: [string, Record<string, unknown>][] = [
        ['out of length n + 1', { out: new Float32Array(n + 1) }],
        ['out of length n - 1', { out: new Float32Array(n - 1) }],
        ['out a Float64Array', { out: new Float64Array(n) }],
        ['out an Int32Array', { out: new Int32Array(n) }],
        ['out with grad: false', { out: new Float32Array(n), grad: false }],
        ['out a number', { out: 3 }],
      ];
      const [label, extra] = choose(variants, pick);
      return { label, run: run(v, b, b.input, b.target, { ...optionsOf(b), ...extra }) };
    },
  },
  'out overlapping the input or the target': {
    mutate: (b, v, pick) => {
      const n = b.input.length;
      const variant = pick % 7;
      const seg = v.seg;
      if (variant === 0) return { label: 'out is the input', run: run(v, b, b.input, b.target, optionsOf(b, { out: b.input })) };
      if (variant === 1 && b.dense) return { label: 'out is the dense target', run: run(v, b, b.input, b.dense, optionsOf(b, { out: b.dense })) };
      if (variant === 2) {
        const buf = new Float32Array(n + 5);
        buf.set(b.input);
        const k = 1 + (pick >> 3) % Math.max(1, Math.min(n - 1, 4));
        if (k >= n) return undefined;
        return { label: `out overlaps a plain input at +${k}`, run: run(v, b, buf.subarray(0, n), b.target, optionsOf(b, { out: buf.subarray(k, k + n) })) };
      }
      if (variant === 3) {
        const x = seg.alloc(Float32Array, n);
        x.view.set(b.input);
        return { label: 'out is the input WasmArray', run: run(v, b, x, b.target, optionsOf(b, { out: pick & 8 ? x : x.view })), cleanup: () => x.free() };
      }
      if (variant === 4) {
        if (n < 2) return undefined;
        const xs = seg.alloc(Float32Array, 2 * n);
        const k = 1 + ((pick >> 3) % (n - 1));
        xs.view.set(b.input);
        const view = xs.view;
        return { label: `out overlaps the input WasmArray's view at +${k}`, run: run(v, b, view.subarray(0, n), b.target, optionsOf(b, { out: view.subarray(k, k + n) })), cleanup: () => xs.free() };
      }
      if (variant === 5 && b.dense) {
        const y = seg.alloc(Float32Array, n);
        y.view.set(b.dense);
        return { label: 'out is the dense target WasmArray', run: run(v, b, b.input, y, optionsOf(b, { out: pick & 8 ? y : y.view })), cleanup: () => y.free() };
      }
      if (variant === 6 && b.labels) {
        const T = b.target.constructor as typeof Int32Array;
        const t = seg.alloc(T as never, b.target.length + n) as unknown as WasmArray<Int32Array>;
        t.view.set(b.target as Int32Array);
        const over = new Float32Array(t.view.buffer, t.ptr, n);
        return { label: `out overlaps the ${T.name} target WasmArray`, run: run(v, b, b.input, t.view.subarray(0, b.target.length), optionsOf(b, { out: over })), cleanup: () => t.free() };
      }
      return undefined;
    },
  },
  'stale (detached) views': {
    message: /detached/,
    mutate: (b, v, pick) => {
      const which = pick % 3;
      const staleTarget = b.dense ? v.stale.f32 : b.target instanceof Uint8Array ? v.stale.u8 : v.stale.i32;
      if (which === 0) return { label: 'stale input view', run: run(v, b, v.stale.f32, b.target, optionsOf(b)) };
      if (which === 1) return { label: `stale target view ${staleTarget.constructor.name}`, run: run(v, b, b.input, staleTarget, optionsOf(b)) };
      return { label: 'stale out view', run: run(v, b, b.input, b.target, optionsOf(b, { out: v.stale.f32 })) };
    },
  },
  'WasmArray of another instance': {
    mutate: (b, v, pick) => {
      const owner = pick & 4 ? v.otherBackend : v.other;
      const whose = pick & 4 ? 'the other backend' : 'another instance';
      const which = pick % 3;
      const n = b.input.length;
      if (which === 0) {
        const x = owner.alloc(Float32Array, n);
        x.view.set(b.input);
        return { label: `input from ${whose}`, run: run(v, b, x, b.target, optionsOf(b)), types: [TypeError], cleanup: () => x.free() };
      }
      if (which === 1) {
        const T = b.target.constructor as typeof Int32Array;
        const t = owner.alloc(T as never, b.target.length) as unknown as WasmArray<Int32Array>;
        t.view.set(b.target as Int32Array);
        return { label: `${T.name} target from ${whose}`, run: run(v, b, b.input, t, optionsOf(b)), types: [TypeError], cleanup: () => t.free() };
      }
      const o = owner.alloc(Float32Array, n);
      return { label: `out from ${whose}`, run: run(v, b, b.input, b.target, optionsOf(b, { out: o })), types: [TypeError], cleanup: () => o.free() };
    },
  },
  'freed WasmArray': {
    mutate: (b, v, pick) => {
      const which = pick % 3;
      const n = b.input.length;
      const T = which === 1 ? (b.target.constructor as typeof Int32Array) : Float32Array;
      const a = v.seg.alloc(T as never, which === 1 ? b.target.length : n) as unknown as WasmArray<Float32Array>;
      a.view.set((which === 1 ? b.target : b.input) as Float32Array);
      a.free();
      if (which === 0) return { label: 'freed input', run: run(v, b, a, b.target, optionsOf(b)) };
      if (which === 1) return { label: 'freed target', run: run(v, b, b.input, a, optionsOf(b)) };
      return { label: 'freed out', run: run(v, b, b.input, b.target, optionsOf(b, { out: a })) };
    },
  },
};

const describeError = (e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e));

describe.each(BACKENDS)('(e) %s: bad inputs throw TypeError or RangeError, never return, trap or corrupt the next call', (backend) => {
  for (const [name, m] of Object.entries(mutations)) {
    it(name, async () => {
      // a victim of its own, so that a category that corrupts memory cannot fail another category
      const v = await victim(backend);
      const first = v.fixed();
      first.forEach((r, i) => expect(bitDifference(r, v.expected[i]), `fixed call ${i} before any bad call`).toBeUndefined());
      const corrupted = () => {
        const after = v.fixed();
        for (let i = 0; i < after.length; i++) {
          const d = bitDifference(after[i], v.expected[i]);
          if (d) return `; the next valid call (fixed call ${i}) changed: ${d}`;
        }
        return '';
      };
      fc.assert(
        fc.property(paramsArb({ extreme: false }), fc.nat(1 << 12), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (p: Params, pick, seed) => {
          const b = build(p);
          if (m.applies && !m.applies(b)) return;
          const bad = m.mutate(b, v, pick, rng(seed));
          if (!bad) return;
          const what = `${describeCall(b)} with ${bad.label}`;
          const types = bad.types ?? [TypeError, RangeError];
          const message = bad.message ?? m.message;
          let returned: unknown;
          let thrown: unknown;
          try {
            returned = bad.run();
          } catch (e) {
            thrown = e;
          } finally {
            bad.cleanup?.();
          }
          if (thrown === undefined) {
            const r = returned as Result;
            throw new Error(`${what}: returned ${typeof r?.loss === 'number' ? `loss ${r.loss}` : 'a result'} instead of throwing${corrupted()}`);
          }
          if (thrown instanceof WebAssembly.RuntimeError) throw new Error(`${what}: trapped: ${describeError(thrown)}`);
          if (!types.some((T) => thrown instanceof T) || (thrown as Error).constructor === Error) {
            throw new Error(`${what}: threw ${describeError(thrown)}, expected ${types.map((T) => T.name).join(' or ')}`);
          }
          if (message && !message.test((thrown as Error).message)) throw new Error(`${what}: message "${(thrown as Error).message}" does not match ${message}`);
          const changed = corrupted();
          if (changed) throw new Error(`${what}: threw as it should${changed}`);
        }),
        { numRuns: runs(100) },
      );
    }, TIMEOUT);
  }
});

