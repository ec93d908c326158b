// A thread of the pool (src/pool.ts): instantiates the shared-memory kernels over the memory it is
// sent, says 'ready', then parks in Atomics.wait on its control slot and runs the kernels it is given,
// each once it has claimed it (the caller may have taken a late job back: see src/pool.ts).
type Start = { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; names: string[] };

import { ARGS, CLAIM, DONE, KERNEL, LATE, SEQ, SLOT_INTS } from './control.js';

async function serve(start: Start, reply: (m: unknown) => void): Promise<void> {
  let s: Int32Array;
  let fns: ((args: number) => void)[];
  try {
    const instance = await WebAssembly.instantiate(start.module, { env: { memory: start.memory } });
    const exports = instance.exports as Record<string, (args: number) => void>;
    fns = start.names.map((n) => exports[n]);
    s = new Int32Array(start.memory.buffer, start.ctrl, SLOT_INTS);
  } catch (e) {
    reply({ error: String(e) });
    return;
  }
  let seen = Atomics.load(s, SEQ); // before 'ready': the first job bumps it only after
  reply('ready');
  for (;;) {
    Atomics.wait(s, SEQ, seen);
    const seq = Atomics.load(s, SEQ);
    if (seq === seen) continue;
    seen = seq;
    const kernel = s[KERNEL];
    if (kernel < 0) return;
    if (Atomics.compareExchange(s, CLAIM, 0, seq) !== 0) {
      // the caller gave up waiting and runs this part itself: say that this thread lives, and wait on
      Atomics.store(s, LATE, seq);
      continue;
    }
    let done = seq;
    try {
      fns[kernel](s[ARGS]);
    } catch {
      done = -seq;
    }
    Atomics.store(s, DONE, done);
    Atomics.notify(s, DONE);
  }
}

const g = globalThis as { WorkerGlobalScope?: unknown; addEventListener?: (t: string, h: (e: MessageEvent) => void) => void; postMessage?: (m: unknown) => void; close?: () => void };
if (typeof g.WorkerGlobalScope !== 'undefined' && typeof g.addEventListener === 'function') {
  g.addEventListener('message', (e: MessageEvent) => void serve(e.data as Start, (m) => g.postMessage!(m)).then(() => g.close?.()));
} else {
  const name = 'node:worker_threads';
  const { parentPort }: typeof import('node:worker_threads') = await import(/* webpackIgnore: true */ /* @vite-ignore */ name);
  parentPort!.once('message', (start: Start) => void serve(start, (m) => parentPort!.postMessage(m)).then(() => parentPort!.close()));
}
export {};
