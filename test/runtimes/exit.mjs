// Node, Deno and Bun: init() with its default threads ('auto': a pool of Workers where there is more
// than one core), one loss call, and no dispose(). The pool's Workers must not keep the process
// running: it prints one line of JSON and ends by itself.
import { init } from 'segloss';

const seg = await init();
const [N, C, P] = [4, 3, 64];
const x = Float32Array.from({ length: N * C * P }, (_, i) => Math.sin(i));
const t = Int32Array.from({ length: N * P }, (_, i) => i % C);
const { loss } = seg.crossEntropy(x, t, { shape: [N, C, P], grad: true });
const cores = globalThis.navigator?.hardwareConcurrency ?? (await import('node:os')).availableParallelism();
console.log(JSON.stringify({ threads: seg.threads, cores, loss }));
