// TensorFlow.js contenders of bench/run.mjs: each backend (wasm, cpu) runs in its own child process (no
// backend switching), driven over IPC so its cases still run next to the others. The parent calls
// spawnTfjs(backend, quick); the child is this file run as `node bench/tfjs-child.mjs <backend> [--quick]`.
//
// Protocol (one request at a time): load { workload } -> { prepare: stats } (prepares the NHWC one-hot
// tensors, timed apart); run { key, grad } -> timing stats (bench/timing.mjs) + leakedTensors; exit.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TFJS_PREPARE, caseOf } from './cases.mjs';
import { errText, measure } from './timing.mjs';
import { budget, makeData, workload } from './workloads.mjs';

const self = fileURLToPath(import.meta.url);

async function childMain(backend, quick) {
  const CFG = budget(quick);
  const T = await import('./peers/tfjs.mjs');
  let info;
  try {
    info = await T.init(backend);
  } catch (e) {
    process.send({ type: 'ready', error: errText(e) }, () => process.disconnect());
    return;
  }
  process.send({ type: 'ready', info });
  let cur = null;
  const drop = () => { if (cur) { T.dispose(cur.prep); cur = null; } };
  const cfg = backend === 'cpu' ? CFG.tfjsCpu : CFG.tfjsWasm;
  const handlers = {
    load({ workload: name }) {
      drop();
      const w = workload(name);
      const d = makeData(w);
      const make = () => TFJS_PREPARE[w.kind](T, d, w);
      const times = [];
      for (let i = 0; i < CFG.prepReps; i++) {
        const t0 = performance.now();
        const p = make();
        // prepare's tensors are materialised: wasm/cpu kernels run eagerly on creation
        times.push(performance.now() - t0);
        T.dispose(p);
      }
      times.sort((a, b) => a - b);
      cur = { w, prep: make() };
      return { prepare: { median: times[times.length >> 1], min: times[0], max: times[times.length - 1], n: times.length } };
    },
    run({ key, grad }) {
      if (!cur) throw new Error('no workload loaded (its prepare failed)');
      const c = caseOf(key);
      if (!c.tfjs) throw new Error(`no tfjs peer for ${key}`);
      const before = T.tf.memory().numTensors;
      const r = measure(`tfjs-${backend}`, () => c.tfjs(T, cur.prep, { grad }), cfg);
      r.leakedTensors = T.tf.memory().numTensors - before;
      return r;
    },
    exit() {
      drop();
      setImmediate(() => process.exit(0));
      return {};
    },
  };
  process.on('message', (m) => {
    let reply;
    try {
      reply = { id: m.id, ok: handlers[m.type](m) };
    } catch (e) {
      reply = { id: m.id, error: errText(e) };
    }
    process.send(reply);
  });
}

/** Child processes alive; killed by killChildren() if the run fails. */
const CHILDREN = new Set();
export const killChildren = () => { for (const c of CHILDREN) c.kill(); };

/** A tfjs backend in its own process; `call` resolves with the handler's result or rejects. */
export function spawnTfjs(backend, quick) {
  const child = fork(self, [backend, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  CHILDREN.add(child);
  child.on('exit', () => CHILDREN.delete(child));
  let stderr = '';
  child.stderr.on('data', (b) => { stderr = (stderr + b).slice(-2000); });
  let pending = null;
  let dead = null;
  let nextId = 1;
  const fail = (why) => { dead = why; if (pending) { pending.reject(new Error(why)); pending = null; } };
  child.on('exit', (code, sig) => fail(`tfjs-${backend} process exited (${sig ?? code})${stderr ? ': ' + stderr.trim().split('\n').pop() : ''}`));
  child.on('error', (e) => fail(`tfjs-${backend} process error: ${e.message}`));
  const ready = new Promise((resolve, reject) => {
    child.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m.info)));
    child.once('exit', () => reject(new Error(dead ?? 'exited')));
  });
  child.on('message', (m) => {
    if (m.type === 'ready' || !pending || m.id !== pending.id) return;
    const p = pending;
    pending = null;
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.ok);
  });
  const call = (type, args = {}) => new Promise((resolve, reject) => {
    if (dead) return reject(new Error(dead));
    pending = { id: nextId++, resolve, reject };
    child.send({ id: pending.id, type, ...args });
  });
  const close = async () => {
    if (dead) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.connected) { try { await call('exit'); } catch { /* exiting */ } }
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  };
  return { backend, ready, call, close, get dead() { return dead; } };
}

if (process.argv[1] === self && process.send) {
  await childMain(process.argv[2], process.argv.includes('--quick'));
}
