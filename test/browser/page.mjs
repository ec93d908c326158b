// Main thread: `segloss` through the page's import map, then the same suite in a module Web Worker.
// Results land on window.__segloss for the test to read.
import { init } from 'segloss';
import { run } from './run.mjs';

const describe = (e) => String(e && e.stack ? e.stack : e);

async function inWorker() {
  // Import maps do not reach workers, so the worker gets the URL the page's map gives `segloss`.
  const worker = new Worker('/worker.mjs', { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.error ? reject(new Error(`worker: ${data.error}`)) : resolve(data.report));
      worker.onerror = (e) => reject(new Error(`worker failed to load: ${e.message}`));
      worker.postMessage({ segloss: import.meta.resolve('segloss') });
    });
  } finally {
    worker.terminate();
  }
}

try {
  const main = await run(init);
  const worker = await inWorker();
  window.__segloss = { main, worker };
} catch (e) {
  window.__segloss = { error: describe(e) };
}
document.getElementById('out').textContent = JSON.stringify(window.__segloss, null, 1);
