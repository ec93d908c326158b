// How one contender is timed on one case (tinybench), shared by bench/run.mjs and its TF.js child processes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

/** The repository root (for reading versions and keeping file paths out of reports). */
export const root = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export const errText = (e) => String(e?.message ?? e).split(root).join('.').split('\n')[0].slice(0, 300);

export function l1(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
}

/**
 * One contender on one case: a tinybench Bench of one task with the contender's budget
 * ({ time, iterations, warmupTime, warmupIterations }, bench/workloads.mjs). Every call's loss and one
 * gradient element go into `sink` so nothing is optimised away; the last call's loss and sum |grad| are kept
 * for the cross-check against plain JS.
 */
export function measure(name, fn, cfg) {
  let last;
  let k = 0;
  let sink = 0;
  const task = () => {
    const r = fn();
    last = r;
    sink += r.loss + (r.grad ? r.grad[k % r.grad.length] : 0);
    k += 7919;
  };
  const bench = new Bench({
    name, time: cfg.time, iterations: cfg.iterations, throws: true,
    warmup: cfg.warmupIterations > 0 || cfg.warmupTime > 0, warmupIterations: cfg.warmupIterations, warmupTime: cfg.warmupTime,
  });
  bench.add(name, task, { async: false }); // without it, tinybench calls the task once (untimed) to detect a promise
  const t0 = performance.now();
  bench.runSync();
  const wall = performance.now() - t0;
  const res = bench.tasks[0].result;
  if (res.state !== 'completed') throw res.error ?? new Error(`task ${res.state}`);
  const L = res.latency;
  return {
    median: L.p50, min: L.min, max: L.max, mean: L.mean, n: L.samplesCount, wall,
    loss: last.loss, gradL1: last.grad ? l1(last.grad) : null, sink,
  };
}
