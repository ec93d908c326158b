// Module Web Worker: the same suite off the main thread.
import { run } from './run.mjs';

self.onmessage = async ({ data }) => {
  try {
    const { init } = await import(data.segloss);
    self.postMessage({ report: await run(init) });
  } catch (e) {
    self.postMessage({ error: String(e && e.stack ? e.stack : e) });
  }
};
