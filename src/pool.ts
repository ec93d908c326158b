// Threads: a pool of Workers, each with its own instance of the shared-memory build of the kernels
// (build/kernels.shared.wasm) over the one WebAssembly.Memory of the Segloss instance. A kernel call
// that covers several blocks of pixels is split on block boundaries (src/call.ts, src/abi.ts SPLIT); the
// calling thread runs the first part and the workers the others, each with its own argument block and
// scratch. Every sum of the kernels is per block, and the blocks are combined in order, so the bits do
// not depend on the thread count, nor on which thread runs a part.
//
// Synchronisation: a control block of 64 bytes per worker in the shared memory: [seq, done, kernel,
// args, claim, late]. The caller writes kernel and args, sets claim = 0, bumps seq and notifies; the
// worker, parked in Atomics.wait on seq, claims the job with Atomics.compareExchange(claim, 0, seq),
// runs the kernel, stores done = seq (-seq when it threw) and notifies. The caller waits on done with
// Atomics.wait where the runtime allows it (Node, Deno, Bun, workers) and spins on Atomics.load where
// it does not (a browser page's main thread). kernel = -1 ends a worker.
//
// A worker that dies (terminated, its thread crashed): the calling thread is blocked in run(), so no
// 'error' or 'exit' event can reach it there. Instead, a job nobody claims within CLAIM_TIMEOUT_MS is
// taken back by the same compareExchange(claim, 0, -1): exactly one side wins, so a job is run once,
// and the caller runs a part it took back itself (the parts write disjoint memory: the same bits). The
// worker is then presumed dead and gets no more work; if it was only late (it finds the job taken and
// stores late = seq), the next call sees that and gives it work again. A worker's 'error' and 'exit'
// events, which run between calls, mark it dead for good. seg.threads counts the live ones.
//
// The limit: a worker that claimed its job and then died inside the kernel cannot be told apart from
// one still running a long kernel (a blocked thread sees neither events nor, in wasm, any heartbeat),
// and the caller cannot run the part again while the worker might still be writing it. So the caller
// waits for that job's done without a bound: that call hangs. Nothing in segloss terminates its workers
// mid-call (dispose() between calls only), so this needs the thread to be killed from outside (e.g. the
// browser or the OS ending it) during the very kernel call it claimed.

import { ARGS, CLAIM, DONE, KERNEL, LATE, SEQ, SLOT_INTS } from './control.js';

/** The subset of the Worker APIs the pool uses, over web Workers and node:worker_threads. */
interface Port {
  post(message: unknown): void;
  /** the next message */
  message(): Promise<unknown>;
  /** `handler` on an uncaught error in the worker, or its end (once or more) */
  onFailure(handler: (error: unknown) => void): void;
  /** lets the process exit with the worker alive (where a runtime can tell) */
  unref(): void;
  terminate(): void;
}

/** seq runs 1, 2, ..., SEQ_MAX, 1, ...: positive, so that -seq (a failed job) and -1 (a job taken back) differ from any seq */
const SEQ_MAX = 0x3fffffff;

/** How long a posted job may stay unclaimed before the caller takes it back and presumes its worker dead. */
export const CLAIM_TIMEOUT_MS = 2000;

/** Whether this runtime can run a pool: Workers and shared wasm memory. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  // a browser page (or its workers) share memory only when cross-origin isolated
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch {
    return false;
  }
  const g = globalThis as { Worker?: unknown };
  return typeof g.Worker === 'function' || isNodeLike();
}

/** Node, Deno and Bun (all three have node:worker_threads). */
function isNodeLike(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

/** 'auto': the hardware concurrency (navigator.hardwareConcurrency, or Node's os.availableParallelism()),
 *  capped at 8. */
export async function autoThreads(): Promise<number> {
  let n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (!(Number.isInteger(n) && n! > 0) && isNodeLike()) {
    try {
      const name = 'node:os';
      const os: typeof import('node:os') = await import(/* webpackIgnore: true */ /* @vite-ignore */ name);
      n = os.availableParallelism?.() ?? os.cpus().length;
    } catch {
      n = 1;
    }
  }
  return Math.max(1, Math.min(8, Number.isInteger(n) && n! > 0 ? n! : 1));
}

async function spawn(url: URL): Promise<Port> {
  // Node, Deno and Bun: node:worker_threads, whose Worker.unref() lets the process exit while the pool
  // lives (Deno's web Worker has no unref, and a live one keeps Deno running).
  const NodeWorker = isNodeLike() ? await nodeWorker() : undefined;
  if (NodeWorker) {
    const w = new NodeWorker(url, { name: 'segloss', ...workerExecArgv() } as object);
    return {
      post: (m) => w.postMessage(m),
      message: () => new Promise((resolve) => w.once('message', resolve)),
      onFailure: (h) => {
        w.on('error', h);
        w.on('exit', (code) => h(new Error(`segloss worker exited (code ${code})`)));
      },
      // Node re-refs a Worker whenever a 'message' listener is added, so this comes after the last one
      unref: () => w.unref(),
      terminate: () => void w.terminate(),
    };
  }
  const g = globalThis as unknown as { Worker: new (url: URL, options: object) => Worker };
  const w = new g.Worker(url, { type: 'module', name: 'segloss' });
  return {
    post: (m) => w.postMessage(m),
    message: () => new Promise((resolve) => w.addEventListener('message', (e) => resolve((e as MessageEvent).data), { once: true })),
    onFailure: (h) => w.addEventListener('error', (e) => h((e as ErrorEvent).error ?? (e as ErrorEvent).message)),
    unref: () => (w as unknown as { unref?: () => void }).unref?.(),
    terminate: () => w.terminate(),
  };
}

/** node:worker_threads' Worker, or undefined where the import fails (a bundle that fakes `process`). */
async function nodeWorker(): Promise<typeof import('node:worker_threads').Worker | undefined> {
  try {
    const name = 'node:worker_threads';
    return (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)).Worker;
  } catch {
    return undefined;
  }
}

/** A worker inherits the process's Node options, but `--input-type` (of `node --input-type=module -e`)
 *  makes Node refuse to load the worker's module file: the options without it. */
function workerExecArgv(): { execArgv?: string[] } {
  const argv = (globalThis as { process?: { execArgv?: string[] } }).process?.execArgv;
  if (!Array.isArray(argv) || !argv.some((a) => a === '--input-type' || a.startsWith('--input-type='))) return {};
  return { execArgv: argv.filter((a, i) => a !== '--input-type' && !a.startsWith('--input-type=') && argv[i - 1] !== '--input-type') };
}

/** A worker: live (gets work), late (a job of its went unclaimed: no work until it shows it lives), or dead. */
type State = { port: Port; live: boolean; dead: boolean; takenBack: number };

export class Pool {
  private readonly slots: State[] = [];
  private readonly canWait: boolean;
  private ended = false;
  /** @internal how long a job may stay unclaimed (tests lower it) */
  claimTimeout = CLAIM_TIMEOUT_MS;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly ctrl: number,
    private readonly names: readonly string[],
  ) {
    this.canWait = canBlock(new Int32Array(memory.buffer, ctrl, 1));
  }

  /**
   * Starts `workers` Workers over `memory`, with their control block at `ctrl` (64 bytes each, zeroed),
   * each instantiating `module`; resolves once every one is ready.
   */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, workers: number, names: readonly string[]): Promise<Pool> {
    const pool = new Pool(memory, ctrl, names);
    // beside this module in dist/; run from the TypeScript sources (tests), the built one
    const url = import.meta.url.endsWith('.ts') ? new URL('../dist/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);
    const ports: Port[] = [];
    const started = await Promise.allSettled(
      Array.from({ length: workers }, async (_, slot) => {
        const port = await spawn(url);
        ports[slot] = port;
        await new Promise<void>((resolve, reject) => {
          port.onFailure(reject);
          port.message().then((m) => (m === 'ready' ? resolve() : reject(new Error(`segloss worker: ${String((m as { error?: string })?.error ?? m)}`))));
          port.post({ module, memory, ctrl: ctrl + slot * SLOT_INTS * 4, names });
        });
      }),
    );
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      for (const port of ports) port?.terminate();
      throw failed.reason;
    }
    for (const port of ports) {
      const state: State = { port, live: true, dead: false, takenBack: 0 };
      port.onFailure(() => pool.bury(state));
      port.unref(); // an undisposed pool does not keep Node, Deno or Bun alive
      pool.slots.push(state);
    }
    return pool;
  }

  /** The live workers (threads - 1). A worker presumed dead that has since shown it lives is live again. */
  get workers(): number {
    let n = 0;
    for (let w = 0; w < this.slots.length; w++) {
      const state = this.slots[w];
      if (!state.live && !state.dead && Atomics.load(this.slot(w), LATE) === state.takenBack) state.live = true;
      if (state.live) n++;
    }
    return n;
  }

  private slot(w: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.ctrl + w * SLOT_INTS * 4, SLOT_INTS);
  }

  /** A worker whose thread is gone: never given work again. */
  private bury(state: State): void {
    state.live = false;
    state.dead = true;
  }

  /**
   * Runs kernel `kernel` (its index in `names`) on argument blocks `blocks`: blocks[0] here with
   * `local`, the others on the live workers (any the pool cannot place, or takes back, here too);
   * returns when all are done, throwing the first failure.
   */
  run(kernel: number, blocks: number[], local: (args: number) => void): void {
    const live: number[] = [];
    for (let w = 0; w < this.slots.length; w++) if (this.slots[w].live) live.push(w);
    const jobs: { w: number; s: Int32Array; seq: number; block: number }[] = [];
    const here: number[] = [blocks[0]];
    for (let i = 1; i < blocks.length; i++) {
      if (i > live.length) {
        here.push(blocks[i]);
        continue;
      }
      const w = live[i - 1];
      const s = this.slot(w);
      s[KERNEL] = kernel;
      s[ARGS] = blocks[i];
      const seq = s[SEQ] >= SEQ_MAX || s[SEQ] < 0 ? 1 : s[SEQ] + 1;
      Atomics.store(s, CLAIM, 0);
      Atomics.store(s, SEQ, seq);
      Atomics.notify(s, SEQ);
      jobs.push({ w, s, seq, block: blocks[i] });
    }
    const deadline = jobs.length ? now() + this.claimTimeout : 0;
    let failure: unknown;
    const runHere = (block: number) => {
      try {
        local(block);
      } catch (e) {
        failure ??= e;
      }
    };
    for (const block of here) runHere(block);
    for (const { w, s, seq, block } of jobs) {
      let claimed = false;
      for (;;) {
        const done = Atomics.load(s, DONE);
        if (done === seq) break;
        if (done === -seq) {
          failure ??= new Error(`segloss: kernel ${this.names[kernel]} failed in a worker thread`);
          break;
        }
        let wait = 1000;
        if (!claimed) {
          if (Atomics.load(s, CLAIM) === seq) claimed = true;
          else {
            wait = deadline - now();
            if (wait <= 0) {
              // nobody took it in time: take it back, unless the worker claims it at this very moment
              if (Atomics.compareExchange(s, CLAIM, 0, -1) === 0) {
                const state = this.slots[w];
                state.live = false;
                state.takenBack = seq;
                runHere(block);
                break;
              }
              claimed = true;
              wait = 1000;
            }
          }
        }
        if (this.canWait) Atomics.wait(s, DONE, done, wait);
      }
    }
    if (failure) throw failure;
  }

  /** Ends the workers (idempotent). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (let w = 0; w < this.slots.length; w++) {
      const s = this.slot(w);
      s[KERNEL] = -1;
      Atomics.store(s, SEQ, s[SEQ] >= SEQ_MAX || s[SEQ] < 0 ? 1 : s[SEQ] + 1);
      Atomics.notify(s, SEQ);
      this.slots[w].port.terminate();
      this.bury(this.slots[w]);
    }
  }
}

const now: () => number = typeof performance !== 'undefined' && typeof performance.now === 'function' ? () => performance.now() : () => Date.now();

/** Atomics.wait throws on a browser page's main thread. */
function canBlock(i32: Int32Array): boolean {
  try {
    Atomics.wait(i32, 0, Atomics.load(i32, 0) + 1, 0);
    return true;
  } catch {
    return false;
  }
}
