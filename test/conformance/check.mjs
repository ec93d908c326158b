// The golden-fixture conformance suite as plain, runtime-neutral ESM: no imports, no Node APIs, so
// vitest (test/conformance.test.ts), Node, Deno, Bun, workerd, a browser page and a Web Worker all run
// this same file against the packed package. Each runtime loads the fixture JSON its own way and
// hands the cases in, with the package's module (its `init` and its exported `LOSS_NAMES`).
// test/runtimes/setup.ts copies test/ into the scratch project in the same layout (conformance/,
// runtimes/, browser/, fixtures/), so the relative imports work in both places.
//
// The checks are exactly those of test/conformance.test.ts:
//   tolerances no looser than loss rel 1e-5, grad 1e-6 abs + 1e-4 rel;
//   loss (and each combined term): |got - want| <= max(lossRel |want|, lossAbs);
//   grad: |got - want| <= gradAbs + gradRel |want| elementwise (as a worst ratio <= 1, so NaN fails).

/** The fixture files under test/fixtures/, each `{ cases: [...] }`. */
export const FAMILIES = ['crossEntropy', 'binaryCrossEntropy', 'focal', 'region', 'combined', 'generalizedDice', 'smp', 'lovasz'];

/**
 * Every loss the fixtures must cover: the package's registry (`LOSS_NAMES`, exported by segloss) plus
 * `combined`, which is not a registered loss but a method over them.
 */
export function lossesOf(lossNames) {
  if (!Array.isArray(lossNames) || lossNames.length === 0) throw new TypeError('LOSS_NAMES must be a non-empty array');
  return [...lossNames, 'combined'];
}

/** The losses of `lossesOf(lossNames)` that no case calls. */
export function uncovered(lossNames, cases) {
  const fns = new Set(cases.map((c) => c.fn));
  return lossesOf(lossNames).filter((name) => !fns.has(name));
}

const TYPES = { int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array };

export function targetOf(c) {
  return TYPES[c.target.dtype].from(c.target.data);
}

/** Largest violation of |a - b| <= abs + rel |b|, as a ratio (<= 1 passes). */
export function worstRatio(a, b, abs, rel) {
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (abs + rel * Math.abs(b[i]));
    if (!(r <= ratio)) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, at };
}

/** Why the case fails, or undefined when it passes. */
export function checkCase(segloss, c) {
  const tol = c.tolerance;
  if (!(tol.lossRel <= 1e-5 && tol.gradAbs <= 1e-6 && tol.gradRel <= 1e-4)) {
    return `tolerance looser than allowed: ${JSON.stringify(tol)}`;
  }
  const input = Float32Array.from(c.input);
  const options = { ...c.options, shape: c.shape, grad: true };
  const result = segloss[c.fn](input, targetOf(c), options);
  const want = Array.isArray(c.loss) ? c.loss : [c.loss];
  const got = typeof result.loss === 'number' ? [result.loss] : Array.from(result.loss);
  if (got.length !== want.length) return `loss has ${got.length} values, want ${want.length}`;
  const close = (g, w) => Math.abs(g - w) <= Math.max(tol.lossRel * Math.abs(w), tol.lossAbs);
  for (let i = 0; i < want.length; i++) {
    if (!close(got[i], want[i])) return `loss[${i}] = ${got[i]}, want ${want[i]}`;
  }
  if (c.terms) {
    for (let i = 0; i < c.terms.length; i++) {
      const t = result.terms?.[i];
      if (!close(t, c.terms[i])) return `terms[${i}] = ${t}, want ${c.terms[i]}`;
    }
  }
  if (!result.grad) return 'no grad';
  if (result.grad.length !== c.grad.length) return `grad has ${result.grad.length} values, want ${c.grad.length}`;
  const grad = worstRatio(result.grad, c.grad, tol.gradAbs, tol.gradRel);
  if (!(grad.ratio <= 1)) return `grad[${grad.at}] = ${result.grad[grad.at]}, want ${c.grad[grad.at]} (ratio ${grad.ratio})`;
  return undefined;
}

/**
 * Runs every case on one initialised segloss instance.
 * @returns {Promise<{ backend: string, passed: number, failed: number, failures: { name: string, why: string }[] }>}
 */
export async function runConformance(segloss, cases) {
  const failures = [];
  let passed = 0;
  for (const c of cases) {
    let why;
    try {
      why = checkCase(segloss, c);
    } catch (e) {
      why = `threw ${e && e.stack ? e.stack : e}`;
    }
    if (why === undefined) passed++;
    else failures.push({ name: c.name, why });
  }
  return { backend: segloss.backend, passed, failed: failures.length, failures };
}

/**
 * What every runtime reports: the backend and threads `init()` picks by default, the fixture census (the losses
 * the package exports and those of them no fixture covers), and the suite on `init({ backend: 'wasm' })`,
 * `init({ backend: 'js' })` and `init({ backend: 'wasm', threads: 2 })` (with the threads it got).
 * `segloss` is the package's module as the runtime imported it (`{ init, LOSS_NAMES }`); `options` go
 * to every init (e.g. `{ wasm }`).
 */
export async function runBackends(segloss, cases, options = {}) {
  const { init, LOSS_NAMES } = segloss;
  const auto = await init(options);
  const autoThreads = auto.threads;
  auto.dispose?.();
  const results = [];
  for (const [backend, threads] of [['wasm', 1], ['js', 1], ['wasm', 2]]) {
    let seg;
    try {
      seg = await init({ ...options, backend, threads });
    } catch (e) {
      const why = String(e && e.stack ? e.stack : e);
      results.push({ backend: null, requested: backend, threadsRequested: threads, passed: 0, failed: cases.length, failures: [{ name: '(init)', why }] });
      continue;
    }
    try {
      const result = await runConformance(seg, cases);
      results.push({ ...result, requested: backend, threadsRequested: threads, threads: seg.threads });
    } finally {
      seg.dispose();
    }
  }
  const fns = [...new Set(cases.map((c) => c.fn))];
  return { auto: auto.backend, autoThreads, cases: cases.length, fns, losses: lossesOf(LOSS_NAMES), uncovered: uncovered(LOSS_NAMES, cases), results };
}
