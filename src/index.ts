// segloss: segmentation losses with exact gradients, on WebAssembly SIMD or a bit-identical
// TypeScript fallback.
import { type WasmSource, fallbackKernels, hasWasmSimd, wasmKernels } from './kernels.js';
import { type Backend, Segloss } from './segloss.js';

export type { Backend } from './segloss.js';
export { Segloss } from './segloss.js';
export { WasmArray } from './memory.js';
export type { WasmSource } from './kernels.js';
export type * from './options.js';
export type { LovaszSoftmaxOptions, LovaszHingeOptions } from './lovasz.js';

export interface InitOptions {
  /** 'wasm' (throws where wasm SIMD is missing), 'js', or unset: wasm where it runs, else js. */
  backend?: Backend;
  /** The kernels: bytes, a compiled module, a Response or a URL. Default: build/kernels.wasm beside this package. */
  wasm?: WasmSource;
}

export async function init(options: InitOptions = {}): Promise<Segloss> {
  const { backend, wasm } = options;
  if (backend !== undefined && backend !== 'wasm' && backend !== 'js') {
    throw new TypeError(`backend must be 'wasm' or 'js', got ${JSON.stringify(backend)}`);
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
