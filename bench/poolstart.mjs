// The cost of starting a pool of threads: `await init()` (threads 'auto', the default) and
// `await init({ threads: 2 })`, each then dispose()d, against `await init({ threads: 1 })`, interleaved,
// `runs` times each; medians. bench/run.mjs measures it before its cases; alone:
//
//   npm run build && node bench/poolstart.mjs [--runs 9]
import { pathToFileURL } from 'node:url';

/** Median, min and count of `a`. */
const stats = (a) => ({ median: [...a].sort((p, q) => p - q)[a.length >> 1], min: Math.min(...a), n: a.length });

/**
 * `init` is segloss's. Returns { threads1, threads2, auto, autoThreads }: the statistics (ms) of each
 * form, and how many threads 'auto' got.
 */
export async function measurePoolStart(init, runs = 9) {
  const t1 = [];
  const t2 = [];
  const ta = [];
  let autoThreads = 0;
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await init({ threads: 1 });
    t1.push(performance.now() - t);
    t = performance.now();
    const s2 = await init({ threads: 2 });
    t2.push(performance.now() - t);
    if (s2.threads !== 2) throw new Error(`init({ threads: 2 }) got ${s2.threads} thread(s)`);
    s2.dispose();
    t = performance.now();
    const auto = await init();
    ta.push(performance.now() - t);
    autoThreads = auto.threads;
    auto.dispose();
  }
  return { threads1: stats(t1), threads2: stats(t2), auto: stats(ta), autoThreads };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--runs');
  const runs = Math.max(1, i >= 0 ? +argv[i + 1] : 9);
  const { init } = await import('../dist/index.js');
  const os = await import('node:os');
  await init({ threads: 1 }); // compile caches and the like warm, as in bench/run.mjs (which starts pools after its memory probe)
  const r = await measurePoolStart(init, runs);
  const f = (s) => `median ${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)})`;
  console.log(`Node ${process.version}, ${os.availableParallelism()} cores, ${runs} runs each:`);
  console.log(`  init({ threads: 1 })  ${f(r.threads1)}`);
  console.log(`  init({ threads: 2 })  ${f(r.threads2)}`);
  console.log(`  init() ('auto': ${r.autoThreads} threads)  ${f(r.auto)}`);
}
