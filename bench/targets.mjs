// The targets bench/run.mjs checks (speed against the peers and native C, zero-copy beside copying, peak
// memory): rows [target, threshold, measured, result] for the report.
import { OUT, find, mb, ms, x2 } from './format.mjs';

const ZC = 'segloss wasm zero-copy';

/** ratios: nativeSection's { 'ce/1': { sse, avx2, zc, sseMs, avxMs }, ... }; memory: the memory probe or null;
 *  scaling: bench/scaling.mjs's interleaved 1- and 2-thread rounds, or null. */
export function evaluateTargets(results, ratios, memory, scaling) {
  const rows = [];
  const zc = (wl, loss) => find(results, wl, loss, true, ZC);
  const cp = (wl, loss) => find(results, wl, loss, true, 'segloss wasm');
  const peer = (wl, loss, c) => find(results, wl, loss, true, c);
  const speed = (name, wl, loss, c, need) => {
    const a = zc(wl, loss);
    const b = peer(wl, loss, c);
    const copy = cp(wl, loss);
    if (!a || !b) return rows.push([name, `>= ${need}x`, 'not measured', 'not measured']);
    const s = b.median / a.median;
    const extra = copy ? `; copying API ${ms(copy.median)} ms = ${x2(b.median / copy.median)}` : '';
    rows.push([name, `>= ${need}x`, `${ms(a.median)} ms vs ${ms(b.median)} ms = ${x2(s)}${extra}`, s >= need ? 'met' : 'MISSED']);
  };
  speed('voc CE fwd+grad, segloss wasm zero-copy vs tfjs-wasm', 'voc', 'ce', 'tfjs-wasm', 8);
  speed('voc CE fwd+grad, segloss wasm zero-copy vs plain JS', 'voc', 'ce', 'plain JS', 5);
  const r = ratios['ce/1'];
  if (r && r.sse != null) {
    rows.push(['voc CE fwd+grad, segloss wasm zero-copy within 2x of native SSE', '<= 2x time', `${ms(r.zc)} ms vs ${ms(r.sseMs)} ms = ${r.sse.toFixed(2)}x` + (r.avx2 != null ? ` (AVX2 ${ms(r.avxMs)} ms: ${r.avx2.toFixed(2)}x)` : ''), r.sse <= 2 ? 'met' : 'MISSED']);
  } else {
    rows.push(['voc CE fwd+grad, segloss wasm zero-copy within 2x of native SSE', '<= 2x time', 'not measured (native skipped)', 'not measured']);
  }
  speed('voc Dice fwd+grad (unsquared, smooth 1, per sample), zero-copy vs tfjs-wasm', 'voc', 'dice', 'tfjs-wasm', 4);
  speed('voc Dice fwd+grad (unsquared, smooth 1, per sample), zero-copy vs plain JS', 'voc', 'dice', 'plain JS', 3.5);
  speed('binary BCE fwd+grad, zero-copy vs plain JS', 'binary', 'bce', 'plain JS', 4);
  const twoThreads = [['voc', 'ce', 'voc CE'], ['voc', 'dice', 'voc Dice'], ['binary', 'bce', 'binary BCE'],
    ['city', 'ce', 'city CE (one image, split by blocks)'], ['city', 'dice', 'city Dice (one image, split by blocks)']];
  for (const [wl, loss, label] of twoThreads) {
    const s = scaling?.find((r) => r.workload === wl && r.loss === loss);
    const name = `${label} fwd+grad zero-copy, 2 threads vs 1`;
    if (!s) rows.push([name, '>= 1.8x', 'not measured', 'not measured']);
    else rows.push([name, '>= 1.8x', `${ms(s.two)} ms vs ${ms(s.one)} ms: ${x2(s.ratio)} (median of ${s.rounds} interleaved rounds, ${s.low.toFixed(2)}-${s.high.toFixed(2)}x)`, s.ratio >= 1.8 ? 'met' : 'MISSED']);
  }
  const nb = ratios['bce/1'];
  rows.push(['binary BCE fwd+grad, zero-copy, one thread, within 1.2x of native SSE', '<= 1.2x time',
    nb?.sse != null ? `${ms(nb.zc)} ms vs ${ms(nb.sseMs)} ms = ${nb.sse.toFixed(2)}x` + (nb.avx2 != null ? ` (AVX2 ${ms(nb.avxMs)} ms: ${nb.avx2.toFixed(2)}x)` : '') : 'not measured (native skipped)',
    nb?.sse != null ? (nb.sse <= 1.2 ? 'met' : 'MISSED') : 'not measured']);
  const nd = ratios['dice/1'];
  rows.push(['voc Dice fwd+grad, zero-copy, one thread, faster than native SSE two-pass Dice', '< 1x time',
    nd?.sse != null ? `${ms(nd.zc)} ms vs ${ms(nd.sseMs)} ms = ${nd.sse.toFixed(2)}x` : 'not measured (native skipped)',
    nd?.sse != null ? (nd.sse < 1 ? 'met' : 'MISSED') : 'not measured']);
  for (const loss of ['ce', 'dice']) {
    const a = zc('voc', loss);
    const b = find(results, 'voc', loss, true, OUT);
    const name = `voc ${loss === 'ce' ? 'CE' : 'Dice'} fwd+grad, copying into a reused out within 1.15x of zero-copy`;
    if (!a || !b) rows.push([name, '<= 1.15x time', 'not measured', 'not measured']);
    else rows.push([name, '<= 1.15x time', `${ms(b.median)} ms vs ${ms(a.median)} ms = ${x2(b.median / a.median)}`, b.median / a.median <= 1.15 ? 'met' : 'MISSED']);
  }
  // zero-copy rows beside copying rows
  const pairs = [];
  const seen = new Set(results.map((q) => `${q.workload}/${q.loss}/${+q.grad}`));
  let missing = 0;
  for (const key of seen) {
    const [wl, loss, g] = key.split('/');
    const a = find(results, wl, loss, g === '1', ZC);
    const b = find(results, wl, loss, g === '1', 'segloss wasm');
    if (a && b) pairs.push(b.median / a.median);
    else missing++;
  }
  if (pairs.length) {
    pairs.sort((p, q) => p - q);
    rows.push(['zero-copy rows beside copying rows', 'both in every table', `${pairs.length} cases paired${missing ? `, ${missing} missing` : ''}; copying / zero-copy time ${pairs[0].toFixed(2)}-${pairs[pairs.length - 1].toFixed(2)}x (median ${pairs[pairs.length >> 1].toFixed(2)}x)`, missing ? 'MISSED' : 'met']);
  } else rows.push(['zero-copy rows beside copying rows', 'both in every table', 'not measured', 'not measured']);
  if (memory) {
    rows.push(['peak wasm memory, voc CE + grad, zero-copy, fresh init({ threads: 1 })', '<= 1.1x data', `${mb(memory.peak)} / ${mb(memory.data)} (logits + int32 labels + gradient) = ${memory.ratio.toFixed(3)}x`, memory.ratio <= 1.1 ? 'met' : 'MISSED']);
  } else rows.push(['peak wasm memory, voc CE + grad, zero-copy', '<= 1.1x data', 'not measured', 'not measured']);
  return rows;
}
