// Threads: a pool of Workers, each with its own instance of the shared-memory build of the kernels
// (build/kernels.shared.wasm) over the one WebAssembly.Memory of the Segloss instance. A kernel call
// that covers several samples is split on sample boundaries (src/abi.ts SPLIT); the calling thread runs
// the first part and the workers the others, each with its own argument block and scratch. Every sum
// of the kernels is per sample, and TypeScript combines the samples in order, so the bits do not
// depend on the thread count.
//
// Synchronisation: a control block of 64 bytes per worker in the shared memory: [seq, done, kernel,
// args]. The caller writes kernel and args, bumps seq and notifies; the worker, parked in Atomics.wait
// on seq, runs the kernel, stores done = seq and notifies. The caller waits on done with Atomics.wait
// where the runtime allows it (Node, Deno, Bun, workers) and spins on Atomics.load where it does not (a
// browser page's main thread). kernel = -1 ends a worker.

/** The subset of the Worker APIs the pool uses, over web Workers and node:worker_threads. */
interface Port {
  post(message: unknown): void;
  onMessage(handler: (data: unknown) => void): void;
  onError(handler: (error: unknown) => void): void;
  terminate(): void;
}

const SLOT_INTS = 16; // 64 bytes a worker
const SEQ = 0;
const DONE = 1;
const KERNEL = 2;
const ARGS = 3;

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
  const g = globalThis as { Worker?: unknown; process?: { versions?: { node?: string } } };
  return typeof g.Worker === 'function' || typeof g.process?.versions?.node === 'string';
}

/** 'auto': the hardware concurrency (navigator.hardwareConcurrency, or Node's os.availableParallelism()),
 *  capped at 8. */
export async function autoThreads(): Promise<number> {
  let n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (!(Number.isInteger(n) && n! > 0) && typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string') {
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
  const g = globalThis as { Worker?: new (url: URL, options: object) => Worker };
  if (typeof g.Worker === 'function') {
    const w = new g.Worker(url, { type: 'module', name: 'segloss' });
    (w as unknown as { unref?: () => void }).unref?.(); // Bun: do not keep the process alive
    return {
      post: (m) => w.postMessage(m),
      onMessage: (h) => w.addEventListener('message', (e) => h((e as MessageEvent).data)),
      onError: (h) => w.addEventListener('error', (e) => h((e as ErrorEvent).error ?? (e as ErrorEvent).message)),
      terminate: () => w.terminate(),
    };
  }
  const name = 'node:worker_threads';
  const { Worker: NodeWorker }: typeof import('node:worker_threads') = await import(/* webpackIgnore: true */ /* @vite-ignore */ name);
  const w = new NodeWorker(url);
  w.unref(); // an undisposed pool does not keep Node alive
  return {
    post: (m) => w.postMessage(m),
    onMessage: (h) => w.on('message', h),
    onError: (h) => w.on('error', h),
    terminate: () => void w.terminate(),
  };
}

export class Pool {
  private readonly ports: Port[] = [];
  private readonly canWait: boolean;
  private ended = false;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly ctrl: number,
    /** worker count (threads - 1) */
    readonly workers: number,
  ) {
    this.canWait = canBlock(new Int32Array(memory.buffer, ctrl, 1));
  }

  /**
   * Starts `workers` Workers over `memory`, with their control block at `ctrl` (64 bytes each, zeroed),
   * each instantiating `module`; resolves once every one is ready.
   */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, workers: number, names: readonly string[]): Promise<Pool> {
    const pool = new Pool(memory, ctrl, workers);
    // beside this module in dist/; run from the TypeScript sources (tests), the built one
    const url = import.meta.url.endsWith('.ts') ? new URL('../dist/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);
    try {
      await Promise.all(
        Array.from({ length: workers }, async (_, slot) => {
          const port = await spawn(url);
          pool.ports.push(port);
          await new Promise<void>((resolve, reject) => {
            port.onMessage((m) => (m === 'ready' ? resolve() : reject(new Error(`segloss worker: ${String((m as { error?: string })?.error ?? m)}`))));
            port.onError(reject);
            port.post({ module, memory, ctrl: ctrl + slot * SLOT_INTS * 4, names });
          });
        }),
      );
    } catch (e) {
      pool.end();
      throw e;
    }
    return pool;
  }

  private slot(w: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.ctrl + w * SLOT_INTS * 4, SLOT_INTS);
  }

  /**
   * Runs kernel `kernel` (its index in `names`) on argument blocks `blocks`: blocks[0] here with
   * `local`, the others on workers 0, 1, ...; returns when all are done.
   */
  run(kernel: number, blocks: number[], local: (args: number) => void): void {
    const started: { s: Int32Array; seq: number }[] = [];
    for (let i = 1; i < blocks.length; i++) {
      const s = this.slot(i - 1);
      s[KERNEL] = kernel;
      s[ARGS] = blocks[i];
      const seq = (s[SEQ] + 1) | 0 || 1;
      Atomics.store(s, SEQ, seq);
      Atomics.notify(s, SEQ);
      started.push({ s, seq });
    }
    let failure: unknown;
    try {
      local(blocks[0]);
    } catch (e) {
      failure = e;
    }
    for (const { s, seq } of started) {
      for (;;) {
        const done = Atomics.load(s, DONE);
        if (done === seq) break;
        if (done === -seq) {
          failure ??= new Error('segloss: a kernel failed in a worker thread');
          break;
        }
        if (this.canWait) Atomics.wait(s, DONE, done, 1000);
      }
    }
    if (failure) throw failure;
  }

  /** Ends the workers (idempotent). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (let w = 0; w < this.ports.length; w++) {
      const s = this.slot(w);
      s[KERNEL] = -1;
      Atomics.store(s, SEQ, (s[SEQ] + 1) | 0 || 1);
      Atomics.notify(s, SEQ);
      this.ports[w].terminate();
    }
  }
}

/** Atomics.wait throws on a browser page's main thread. */
function canBlock(i32: Int32Array): boolean {
  try {
    Atomics.wait(i32, 0, Atomics.load(i32, 0) + 1, 0);
    return true;
  } catch {
    return false;
  }
}
