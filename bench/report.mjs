// The report of bench/run.mjs: the console tables (one per workload as it finishes, then native, memory,
// targets and summary) and the markdown of BENCHMARKS.md.
import os from 'node:os';
import { CASES, caseOf, casesFor } from './cases.mjs';
import { OUT, ZC2, find, mb, mdTable, ms, x2 } from './format.mjs';
import { evaluateTargets } from './targets.mjs';
import { root } from './timing.mjs';
import { workload } from './workloads.mjs';

/** Row order of the contenders in a workload table. */
export const ORDER = ['segloss wasm zero-copy', ZC2, 'segloss wasm', OUT, 'segloss TS fallback', 'plain JS', 'tfjs-wasm', 'tfjs-cpu'];

export function workloadTable(w, results) {
  const rows = [];
  for (const c of casesFor(w)) {
    for (const grad of [false, true]) {
      const pjs = find(results, w.name, c.key, grad, 'plain JS');
      const tfw = find(results, w.name, c.key, grad, 'tfjs-wasm');
      for (const who of ORDER) {
        const r = results.find((q) => q.workload === w.name && q.loss === c.key && q.grad === grad && q.contender === who);
        if (!r) continue;
        const s = r.stats;
        rows.push([
          c.label, grad ? 'fwd+grad' : 'fwd', who,
          s ? ms(s.median) : 'failed', s ? `${ms(s.min)}-${ms(s.max)}` : '-', s ? String(s.n) : '-',
          s && pjs ? x2(pjs.median / s.median) : '-', s && tfw ? x2(tfw.median / s.median) : '-',
        ]);
      }
    }
  }
  return mdTable(['loss', 'pass', 'contender', 'median ms', 'min-max ms', 'n', 'vs plain JS', 'vs tfjs-wasm'], rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r']);
}

export function prepLine(prep) {
  if (!prep) return '';
  return Object.entries(prep)
    .map(([k, s]) => `${k} prepare (NCHW -> NHWC transpose + one-hot, outside the timed region): median ${ms(s.median)} ms (min ${ms(s.min)}, ${s.n} reps)`)
    .join('; ');
}

export function cpuNote(wname, useCpu, cfg) {
  if (!useCpu) return 'tfjs-cpu disabled (--no-tfjs-cpu).';
  const here = cfg.tfjsCpuCases.filter((c) => c.startsWith(wname + '/'));
  if (!here.length) return 'tfjs-cpu not run on this workload (seconds per call; it runs on voc CE and Dice only).';
  return `tfjs-cpu runs here on ${[...new Set(here.map((c) => caseOf(c.split('/')[1]).label))].join(' and ')} only (seconds per call), ${cfg.tfjsCpu.iterations} iteration(s).`;
}

export function printWorkload(w, results, prep, note, log) {
  log(`\n### ${w.name}: ${w.desc}\n`);
  log(workloadTable(w, results));
  const p = prepLine(prep);
  log('\n' + note + (p ? ' ' + p : ''));
}

/** The native SSE/AVX2 fwd+grad medians of a case on its native workload. */
function nativeRatiosOf(native, c, wl) {
  if (!native || native.skipped) return null;
  const get = (isa) => native.lines.find((l) => l.kernel === c.native && l.isa === isa && l.grad === true && l.workload === wl)?.median_ms;
  return { sse: get('sse'), avx2: get('avx2') };
}

function nativeSection(native, results, cfg) {
  if (!native || native.skipped) return { text: `Native kernels skipped: ${native?.skipped ?? 'not run'}.`, ratios: {} };
  const get = (kernel, isa, grad, wl) => native.lines.find((l) => l.kernel === kernel && l.isa === isa && l.grad === grad && l.workload === wl);
  const rows = [];
  const ratios = {};
  for (const c of CASES.filter((q) => q.native)) {
    const wl = c.nativeWorkload ?? 'voc';
    for (const grad of [false, true]) {
      const zc = find(results, wl, c.key, grad, 'segloss wasm zero-copy');
      const zc2 = find(results, wl, c.key, grad, ZC2);
      const cp = find(results, wl, c.key, grad, 'segloss wasm');
      const sse = get(c.native, 'sse', grad, wl);
      const avx = get(c.native, 'avx2', grad, wl);
      const rs = zc && sse ? zc.median / sse.median_ms : null;
      const ra = zc && avx ? zc.median / avx.median_ms : null;
      ratios[`${c.key}/${+grad}`] = { sse: rs, avx2: ra, zc: zc?.median, sseMs: sse?.median_ms, avxMs: avx?.median_ms };
      rows.push([
        `${wl} ${c.label}`, grad ? 'fwd+grad' : 'fwd', ms(zc?.median), ms(zc2?.median), ms(cp?.median), ms(sse?.median_ms), ms(avx?.median_ms),
        rs == null ? '-' : rs.toFixed(2), ra == null ? '-' : ra.toFixed(2),
      ]);
    }
  }
  const bw = native.lines.filter((l) => l.kernel === 'bw' && !l.skipped);
  const skippedIsa = native.lines.filter((l) => l.skipped).map((l) => `${l.isa ?? l.kernel}: ${l.skipped}`);
  let text = mdTable(['workload / loss', 'pass', 'segloss zero-copy ms', 'zero-copy, 2 threads ms', 'segloss copying ms', 'native SSE4.1 ms', 'native AVX2 ms', 'wasm / SSE', 'wasm / AVX2'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']);
  text += `\n\nNative: bench/native/kernels.c, ${native.clang || 'clang'}, -O3 -ffp-contract=off, one thread, uint8 labels, the same exp polynomial (BCE: the same exp, log and divisions as assembly/sigmoid.ts; Dice: the two-pass algorithm); median of ${cfg.nativeReps} reps. wasm / native is a time ratio of single-thread zero-copy (lower is better; 1.00 = native speed).`;
  if (bw.length) {
    text += '\n\nMemory bandwidth probe (256 MB): ' + bw.map((b) => `${b.isa}: read ${b.read_gbs} GB/s, copy ${b.copy_gbs} GB/s (read + write)`).join('; ') + '.';
    const zc = find(results, 'voc', 'ce', true, 'segloss wasm zero-copy');
    if (zc) {
      const bytes = 8 * 21 * 65536 * 4 * 2 + 8 * 65536 * 4; // logits read + gradient written + int32 labels
      text += ` segloss voc CE fwd+grad moves at least ${(bytes / 1e6).toFixed(0)} MB (logits in, gradient out, labels): ${(bytes / 1e6 / zc.median).toFixed(1)} GB/s effective.`;
    }
  }
  if (skippedIsa.length) text += `\n\nSkipped: ${skippedIsa.join('; ')}.`;
  return { text, ratios };
}

/**
 * o: { names, results, failures, notes, prepTimes, native, memory, versions, cpuModel, cores, tfInfo, useCpu,
 *      quick, cfg, argv, started, benchSeconds, loadStart, loadEnd }
 * Returns { markdown (BENCHMARKS.md), console (printed at the end of a run) }.
 */
export function buildReport(o) {
  const { names, results, failures, notes, prepTimes, native, memory, versions, cpuModel, cores, tfInfo, useCpu, quick, cfg, argv } = o;
  const nat = nativeSection(native, results, cfg);
  const targets = evaluateTargets(results, nat.ratios, memory, o.scaling);
  const date = new Date(o.started).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const mode = quick ? 'quick' : 'full';
  const shown = argv.filter((a, i) => a !== '--out' && argv[i - 1] !== '--out'); // no file paths in the report
  const cmd = ['node bench/run.mjs', ...shown].join(' ');

  // summary: fwd+grad, zero-copy, the headline cases (each case's `summary` workloads)
  const pick = [];
  for (const wl of names) for (const c of CASES) if (c.summary.includes(wl)) pick.push([wl, c]);
  const scaling = o.scaling;
  const srows = [];
  const spj = [];
  const stf = [];
  for (const [wl, c] of pick) {
    const a = find(results, wl, c.key, true, 'segloss wasm zero-copy');
    // 2 threads: the interleaved rounds of bench/scaling.mjs (their one-thread time beside it) where run
    const sc = scaling?.find((r) => r.workload === wl && r.loss === c.key);
    const a2 = sc ? { median: sc.two } : find(results, wl, c.key, true, ZC2);
    const nat = c.native && (c.nativeWorkload ?? 'voc') === wl ? nativeRatiosOf(native, c, wl) : null;
    const b = find(results, wl, c.key, true, 'segloss wasm');
    const o = find(results, wl, c.key, true, OUT);
    const p = find(results, wl, c.key, true, 'plain JS');
    const t = find(results, wl, c.key, true, 'tfjs-wasm');
    if (a && p) spj.push(p.median / a.median);
    if (a && t) stf.push(t.median / a.median);
    const speedUp = sc ? `${x2(sc.ratio)}*` : a && a2 ? x2(a.median / a2.median) : '-';
    srows.push([`${wl} ${c.label}`, ms(a?.median), ms(a2?.median), speedUp, ms(b?.median), ms(o?.median), ms(p?.median), ms(t?.median), ms(nat?.sse), ms(nat?.avx2), a && p ? x2(p.median / a.median) : '-', a && t ? x2(t.median / a.median) : '-']);
  }
  const range = (v) => {
    if (!v.length) return '-';
    const [lo, hi] = [Math.min(...v).toFixed(1), Math.max(...v).toFixed(1)];
    return lo === hi ? `${lo}x` : `${lo}-${hi}x`;
  };
  const met = targets.filter((t) => t[3] === 'met').length;
  const summary = [
    `Forward + gradient, median ms on ${cpuModel} (${cores} cores, shared), Node ${process.version}, ${date} (${mode} run).`,
    `segloss wasm with zero-copy buffers is ${range(spj)} faster than a fused plain-JS loop and ${range(stf)} faster than TensorFlow.js ${versions.tfjs} (wasm backend, SIMD, NHWC one-hot prepared untimed).` +
      (nat.ratios['ce/1']?.sse != null ? ` voc cross entropy runs at ${nat.ratios['ce/1'].sse.toFixed(2)}x the time of native SSE4.1 C (${nat.ratios['ce/1'].avx2?.toFixed(2) ?? '-'}x AVX2).` : '') +
      (memory ? ` Peak wasm memory is ${memory.ratio.toFixed(2)}x the logits + labels + gradient.` : ''),
    '',
    mdTable(['workload / loss', 'segloss zero-copy', 'zero-copy, 2 threads', '2 threads speed-up', 'segloss copying', 'copying, reused out', 'plain JS', 'tfjs-wasm', 'native C SSE4.1', 'native C AVX2', 'vs plain JS', 'vs tfjs-wasm'], srows),
    '',
    'voc N8 C21 256x256, binary N4 C1 512x512 (BCE), city N1 C19 1024x2048, volume N2 C4 64x128x128; Dice unsquared, smooth 1, per sample. Native C: one thread, same algorithm (bench/native).' +
      (scaling?.length ? ` * 2 threads: the median of ${scaling[0].rounds} interleaved rounds of one and two threads (bench/scaling.mjs).` : '') +
      ' Full tables: BENCHMARKS.md (`npm run bench`).' +
      (o.poolStart ? ` Starting a pool (\`await init()\`, threads 'auto': ${o.poolStart.autoThreads} here; then \`dispose()\`): median ${ms(o.poolStart.auto.median)} ms (\`init({ threads: 2 })\` ${ms(o.poolStart.threads2.median)} ms), against ${ms(o.poolStart.threads1.median)} ms for \`init({ threads: 1 })\` (${o.poolStart.auto.n} runs each).` : ''),
  ].join('\n');

  const md = [];
  md.push('# segloss benchmarks', '');
  md.push(`Generated by \`${cmd}\` (\`npm run bench\` builds first). Do not edit by hand; re-run to refresh.`, '');
  md.push('## Summary', '', summary, '');
  md.push('## Machine', '');
  md.push(`- CPU: ${cpuModel}, ${cores} cores (shared with other jobs: timings are noisy; ratios are within this one run)`);
  md.push(`- Load average at start ${o.loadStart.map((v) => v.toFixed(2)).join(' ')}, at end ${o.loadEnd.map((v) => v.toFixed(2)).join(' ')}`);
  md.push(`- Node ${process.version}, V8 ${process.versions.v8}, ${os.type()} ${os.release()} ${os.arch()}`);
  md.push(`- segloss ${versions.segloss}, @tensorflow/tfjs ${versions.tfjs}, @tensorflow/tfjs-backend-wasm ${versions.tfjsWasm}, tinybench ${versions.tinybench}`);
  if (tfInfo.wasm) md.push(`- tfjs-wasm: SIMD ${tfInfo.wasm.simd}, threads ${tfInfo.wasm.threads}`);
  md.push(`- Date: ${date}; ${mode} run; benchmark time ${(o.benchSeconds / 60).toFixed(1)} min (total ${((Date.now() - o.started) / 60000).toFixed(1)} min)`);
  md.push('');
  md.push('## Method', '');
  md.push('- **segloss wasm zero-copy, 2 threads**: the zero-copy call on `init({ threads: 2 })`, a pool of one Worker beside the calling thread; the bits equal the one-thread ones. The 2-thread targets use a separate measurement (bench/scaling.mjs): one and two threads timed in 7 alternating rounds of 400 ms, the speed-up being the median of the per-round ratios, so that a busy neighbour on the shared second core costs a round rather than the figure; the tables\' single 2-thread rows are one window each. Every other segloss wasm row runs on one thread (`init({ threads: 1 })`; the default, threads \'auto\', would start a pool).');
  md.push('- Contenders: **segloss wasm** (plain Float32Array logits and Int32Array labels in, gradient returned: copies in and out of wasm memory each call); **segloss wasm zero-copy** (`seg.alloc`\'d input, target and `out`, used in place); **segloss wasm copying, reused out** (plain arrays in, the gradient written into a Float32Array `out` the caller reuses; the batch streams through a 4 MiB window of wasm memory); **segloss TS fallback** (`init({ backend: \'js\' })`, copying); **plain JS** (bench/peers/plainjs.mjs, fused tiled loops, Uint8Array labels, gradient into a reused buffer); **tfjs-wasm** / **tfjs-cpu** (bench/peers/tfjs.mjs: TensorFlow.js ops + `tf.valueAndGrad`, NHWC logits and one-hot labels prepared outside the timed region, gradient read back with `dataSync`), each backend in its own child process.');
  md.push(`- tinybench ${versions.tinybench}, one Bench per contender and case, \`runSync\`. Budgets (minimum iterations / time / warmup iterations): segloss wasm ${cfg.fast.iterations} it / ${cfg.fast.time} ms / ${cfg.fast.warmupIterations}; plain JS ${cfg.plainjs.iterations} / - / ${cfg.plainjs.warmupIterations}; tfjs-wasm ${cfg.tfjsWasm.iterations} / - / ${cfg.tfjsWasm.warmupIterations}; TS fallback ${cfg.ts.iterations} / - / ${cfg.ts.warmupIterations}; tfjs-cpu ${cfg.tfjsCpu.iterations} / - / ${cfg.tfjsCpu.warmupIterations}. All contenders of a case run back to back.`);
  md.push('- Losses (bench/cases.mjs): CE = softmax cross entropy (mean); focal = softmax focal, gamma 2; Dice / IoU = softmax, unsquared, smoothing 1 in numerator and denominator, per sample, mean over (n, c); Tversky = the same with alpha 0.3, beta 0.7 (segloss only: no peer); CE+Dice = 0.5 CE + 0.5 Dice; BCE = sigmoid BCE with logits against a dense 0/1 mask. fwd = loss only, fwd+grad = loss and d loss / d logits.');
  md.push('- Data: bench/random.mjs (xorshift32, seed 1): logits uniform in [-4, 4), labels uniform over the classes; the binary mask is 0/1 with probability 1/2.');
  md.push('- "vs plain JS" / "vs tfjs-wasm": that contender\'s median time / this row\'s median time (above 1: this row is faster).');
  md.push(`- tfjs-cpu ${useCpu ? `runs on voc CE and Dice only (${quick ? 'with gradient, ' : ''}seconds per call); it is not run on the other cases` : 'was disabled (--no-tfjs-cpu)'}.`);
  md.push('- Each contender\'s last loss and sum |grad| are checked against plain JS (relative 1e-4; 2e-3 for tfjs, which sums in float32); mismatches are listed under Notes.');
  md.push('');
  md.push('## Results', '');
  for (const wl of names) {
    const w = workload(wl);
    md.push(`### ${w.name}: ${w.desc}`, '', `${(w.N * w.C * w.P / 1e6).toFixed(2)} M logits (${mb(w.N * w.C * w.P * 4)}).`, '');
    md.push(workloadTable(w, results), '');
    const p = prepLine(prepTimes[wl]);
    md.push(cpuNote(wl, useCpu, cfg) + (p ? ' ' + p + '.' : ''), '');
  }
  md.push('## Native comparison', '', nat.text, '');
  md.push('## Memory', '');
  if (memory) {
    md.push(`Fresh \`init({ threads: 1 })\`, voc CE + gradient with zero-copy buffers (input, Int32 target and \`out\` alloc'd): peak wasm memory \`seg.memoryBytes\` = ${mb(memory.peak)} (${mb(memory.afterAlloc)} after the three allocations) for ${mb(memory.data)} of logits + int32 labels + gradient: **${memory.ratio.toFixed(3)}x**. The copying API on another fresh instance peaks at ${mb(memory.copyPeak)} (${memory.copyRatio.toFixed(3)}x), plus the returned gradient outside wasm memory.`, '');
  } else md.push('Not measured (see Failures).', '');
  md.push('## Targets', '', `${met} of ${targets.length} met.`, '');
  md.push(mdTable(['target', 'threshold', 'measured', 'result'], targets, ['l', 'l', 'l', 'l']), '');
  md.push('## Failures and notes', '');
  if (!failures.length && !notes.length) md.push('None: every contender ran and agreed with plain JS.');
  for (const f of failures) md.push(`- failed: ${f}`);
  for (const n of notes) md.push(`- ${n}`);
  md.push('');
  const markdown = md.join('\n').split(root).join('.');
  const consoleText = [
    '## Native comparison', '', nat.text, '',
    '## Memory', '', memory ? `peak ${mb(memory.peak)} / ${mb(memory.data)} = ${memory.ratio.toFixed(3)}x (copying API ${memory.copyRatio.toFixed(3)}x)` : 'not measured', '',
    '## Targets', '', mdTable(['target', 'threshold', 'measured', 'result'], targets, ['l', 'l', 'l', 'l']), '',
    '## Summary', '', summary, '',
    failures.length || notes.length ? '## Failures and notes\n\n' + [...failures.map((f) => `- failed: ${f}`), ...notes.map((n) => `- ${n}`)].join('\n') : '',
  ].join('\n').split(root).join('.');
  return { markdown, console: consoleText };
}
