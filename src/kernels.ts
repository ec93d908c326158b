// The kernel set, implemented twice: by the wasm module (assembly/) and by its TypeScript twin
// (src/fallback/). Both take byte-offset pointers into their own linear memory and give bit-identical
// results, so everything above this interface is shared.
import { Heap } from './fallback/heap.js';
import * as twins from './fallback/index.js';
import type { LinearMemory } from './memory.js';

export type KernelName = keyof typeof twins;

/** One function per kernel, taking the pointer of its argument block (src/abi.ts). */
export type Kernels = { readonly memory: LinearMemory; heapBase(): number } & Record<KernelName, (args: number) => void>;

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
