// The kernel set, implemented twice: by the wasm module (assembly/) and by its TypeScript twin
// (src/fallback/). Both take byte-offset pointers into their own linear memory and give bit-identical
// results, so everything above this interface is shared.
import { Heap } from './fallback/heap.js';
import * as twins from './fallback/index.js';
import type { LinearMemory } from './memory.js';
import { KERNELS } from './abi.js';
import { Pool } from './pool.js';

export type KernelName = keyof typeof twins;

/** One function per kernel, taking the pointer of its argument block (src/abi.ts); with `pool`, the
 *  Workers that run parts of a call on the same (shared) memory. */
export type Kernels = { readonly memory: LinearMemory; heapBase(): number; pool?: Pool } & Record<KernelName, (args: number) => void>;

/** The kernel names in a fixed order: a kernel's index in it is how the pool names it to a worker. */
export const KERNEL_NAMES = Object.keys(KERNELS) as (keyof typeof KERNELS)[];

export function fallbackKernels(): Kernels {
  const heap = new Heap();
  const bound = Object.entries(twins).map(([name, twin]) => [name, (args: number) => twin(heap, args)]);
  return { memory: heap, heapBase: () => 16, ...Object.fromEntries(bound) } as Kernels;
}

/** Where the kernels' wasm can come from. */
export type WasmSource = WebAssembly.Module | BufferSource | Response | URL | string;

export async function wasmKernels(source: WasmSource): Promise<Kernels> {
  const module = await compile(source);
  const instance = await WebAssembly.instantiate(module, {});
  return instance.exports as unknown as Kernels;
}

/**
 * The shared-memory build over a new shared WebAssembly.Memory (maximum 4 GiB), and a pool of
 * `threads - 1` Workers running it. The pool's control block takes the first bytes above heapBase.
 */
export async function sharedKernels(source: WasmSource, threads: number): Promise<Kernels & { ctrlBytes: number }> {
  const module = await compile(source);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as Kernels;
  const ctrl = align16(exports.heapBase());
  const ctrlBytes = 64 * (threads - 1);
  new Int32Array(memory.buffer, ctrl, ctrlBytes / 4).fill(0);
  const pool = await Pool.start(module, memory, ctrl, threads - 1, KERNEL_NAMES);
  const base = ctrl + ctrlBytes;
  return { ...exports, memory, heapBase: () => base, pool, ctrlBytes };
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return WebAssembly.compile(await source.arrayBuffer());
  }
  if (source instanceof URL || typeof source === 'string') {
    const url = source instanceof URL ? source : absoluteUrl(source);
    if (url.protocol === 'file:') {
      // Node, Deno and Bun only. The specifier is a variable so that bundlers (webpack, esbuild,
      // wrangler, Vite) and workerd do not try to resolve node:fs for browsers and workers.
      const fs = 'node:fs/promises';
      const { readFile }: typeof import('node:fs/promises') = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
      return WebAssembly.compile(await readFile(url));
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`segloss: fetching ${url} gave HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
  return WebAssembly.compile(source as BufferSource);
}

/** A string URL must be absolute: segloss has no base to resolve a relative one against (not the page,
 *  not the caller's module, not the working directory). */
function absoluteUrl(source: string): URL {
  try {
    return new URL(source);
  } catch {
    const shown = JSON.stringify(source);
    throw new TypeError(
      `segloss: init({ wasm: ${shown} }): ${shown} is a relative URL (or not a URL), and segloss has no base to ` +
        `resolve it against; pass an absolute URL, e.g. new URL(${quote(source)}, import.meta.url) from your module, ` +
        'or the bytes, a WebAssembly.Module or a Response',
    );
  }
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

// A module that uses one f32x4 instruction: validates only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function hasWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}
