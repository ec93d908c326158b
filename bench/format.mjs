// Number formatting, markdown tables and result look-up shared by the report and the targets.

export const ms = (v) => (v == null || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
export const x2 = (v) => (v == null || !Number.isFinite(v) ? '-' : v >= 10 ? v.toFixed(1) + 'x' : v.toFixed(2) + 'x');
export const mb = (b) => (b / 2 ** 20).toFixed(1) + ' MiB';

export function mdTable(head, rows, align) {
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'));
  const sep = a.map((c) => (c === 'l' ? ':--' : '--:'));
  return [head, sep, ...rows].map((r) => '| ' + r.join(' | ') + ' |').join('\n');
}

/** The stats of one contender on one case, or null. results: [{ workload, loss (case key), grad, contender, stats }]. */
export function find(results, workload, loss, grad, contender) {
  return results.find((r) => r.workload === workload && r.loss === loss && r.grad === grad && r.contender === contender)?.stats ?? null;
}

/** The copying path with the gradient written into a Float32Array the caller reuses (`out`). */
export const OUT = 'segloss wasm copying, reused out';

/** Zero-copy on a pool of two threads (init({ threads: 2 })). */
export const ZC2 = 'segloss wasm zero-copy, 2 threads';
