// The `workerd` export condition (Cloudflare Workers, wrangler, miniflare). Workers may not compile
// wasm from bytes, so the kernels come in as a module import, which the runtime compiles at deploy
// time; everything else is the default entry.
import kernels from '../build/kernels.wasm';
import { type InitOptions, init as initWith } from './index.js';
import type { Segloss } from './segloss.js';

export * from './index.js';

export function init(options: InitOptions = {}): Promise<Segloss> {
  return initWith({ ...options, wasm: options.wasm ?? kernels });
}
