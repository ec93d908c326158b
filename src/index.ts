// segloss: segmentation losses with exact gradients, on WebAssembly SIMD or a bit-identical
// TypeScript fallback.
import { type WasmSource, fallbackKernels, hasWasmSimd, wasmKernels } from './kernels.js';
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
}

export async function init(options: InitOptions = {}): Promise<Segloss> {
  if (options === null || typeof options !== 'object') throw new TypeError(`init: options must be an object, got ${show(options)}`);
  checkKeys(options, ['backend', 'wasm'], 'init');
  const { backend, wasm } = options;
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
  const source = wasm ?? new URL('../build/kernels.wasm', import.meta.url);
  return new Segloss('wasm', await wasmKernels(source));
}
