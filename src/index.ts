// segloss: segmentation losses with exact gradients, on WebAssembly SIMD or a bit-identical
// TypeScript fallback.
import { type WasmSource, fallbackKernels, hasWasmSimd, sharedKernels, wasmKernels } from './kernels.js';
import { autoThreads, threadsAvailable } from './pool.js';
import { checkKeys } from './call.js';
import { show } from './schema.js';
import { type Backend, Segloss } from './segloss.js';

export type { Backend, LossMethods } from './segloss.js';
export { Segloss } from './segloss.js';
export { WasmArray } from './memory.js';
export type { WasmSource } from './kernels.js';
export type * from './options.js';
export { LOSSES, LOSS_NAMES } from './losses/index.js';
export type { LossName, LossOptions } from './losses/index.js';
export type { CombinedOptions, CombinedResult, CombinedTerm } from './losses/combined.js';
import type { LossOptions } from './losses/index.js';

export type CrossEntropyOptions = LossOptions<'crossEntropy'>;
export type BinaryCrossEntropyOptions = LossOptions<'binaryCrossEntropy'>;
export type FocalOptions = LossOptions<'focal'>;
export type RegionOptions = LossOptions<'dice'>;
export type TverskyOptions = LossOptions<'tversky'>;
export type LovaszSoftmaxOptions = LossOptions<'lovaszSoftmax'>;
export type LovaszHingeOptions = LossOptions<'lovaszHinge'>;
export { ConfusionMatrix } from './metrics.js';
export type { ConfusionMatrixJSON, ConfusionMatrixOptions, LabelMap, Prediction } from './metrics.js';

export interface InitOptions {
  /** 'wasm' (throws where wasm SIMD is missing), 'js', or unset: wasm where it runs, else js. */
  backend?: Backend;
  /** The kernels: bytes, a compiled module, a Response or a URL. Default: build/kernels.wasm beside this package. */
  wasm?: WasmSource;
  /**
   * Threads each loss runs on (wasm backend): a number >= 1, or 'auto', the hardware concurrency
   * (navigator.hardwareConcurrency, or Node's os.availableParallelism()) capped at 8. Default 'auto'
   * where Workers and shared memory are available; `threads: 1` for none. More than 1 starts a pool of
   * Workers over a shared WebAssembly.Memory running the shared-memory build (`sharedWasm`), which
   * `seg.dispose()` (or `using`) ends; an undisposed pool does not keep Node, Deno or Bun running.
   * It is 1 where Workers or shared memory are missing (a browser page that is not cross-origin
   * isolated, Cloudflare workerd), with backend 'js', and when `wasm` is given without `sharedWasm`.
   * `seg.threads` says how many it got (fewer if a worker dies). Results are the same bits for any count.
   * If the pool fails to start, an explicit `threads` throws and the default falls back to 1 thread.
   */
  threads?: number | 'auto';
  /** The shared-memory build for threads: as `wasm`. Default: build/kernels.shared.wasm beside this package. */
  sharedWasm?: WasmSource;
}

export async function init(options: InitOptions = {}): Promise<Segloss> {
  if (options === null || typeof options !== 'object') throw new TypeError(`init: options must be an object, got ${show(options)}`);
  checkKeys(options, ['backend', 'wasm', 'threads', 'sharedWasm'], 'init');
  const { backend, wasm, threads, sharedWasm } = options;
  if (threads !== undefined && threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new TypeError(`threads must be an integer in [1, 64] or 'auto', got ${show(threads)}`);
  }
  if (backend !== undefined && backend !== 'wasm' && backend !== 'js') {
    throw new TypeError(`backend must be 'wasm' or 'js', got ${show(backend)}`);
  }
  if (backend === 'js') return new Segloss('js', fallbackKernels());
  if (!hasWasmSimd()) {
    if (backend === 'wasm') {
      throw new Error("segloss: backend 'wasm' needs WebAssembly SIMD, which this runtime lacks; use backend 'js'");
    }
    return new Segloss('js', fallbackKernels());
  }
  // a pool needs the shared-memory build: its default, or the one given beside `wasm`
  if (threads !== 1 && (sharedWasm !== undefined || wasm === undefined) && threadsAvailable()) {
    const count = threads === undefined || threads === 'auto' ? await autoThreads() : threads;
    if (count > 1) {
      try {
        const source = sharedWasm ?? new URL('../build/kernels.shared.wasm', import.meta.url);
        return new Segloss('wasm', await sharedKernels(source, count));
      } catch (e) {
        if (threads !== undefined) throw e; // asked for: say why there is no pool
        // the default: one thread, as where threads are missing
      }
    }
  }
  const source = wasm ?? new URL('../build/kernels.wasm', import.meta.url);
  return new Segloss('wasm', await wasmKernels(source));
}
