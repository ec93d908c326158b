// The bundled page's entry: the bundler resolves `segloss` through node_modules and the package's
// exports, and emits build/kernels.wasm as an asset from the package's new URL(..., import.meta.url).
import * as segloss from 'segloss';
import { run } from './run.mjs';

run(segloss).then(
  (main) => {
    window.__segloss = { main };
  },
  (e) => {
    window.__segloss = { error: String(e && e.stack ? e.stack : e) };
  },
);
