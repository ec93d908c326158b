// Main thread: `segloss` through the page's import map, then the same suite in a module Web Worker,
// then a confusion matrix built in a Worker (posted as toJSON) merged with one built on the page.
// Results land on window.__segloss for the test to read.
import * as segloss from 'segloss';
import { run } from './run.mjs';

const describe = (e) => String(e && e.stack ? e.stack : e);

/** Posts `message` (plus where `segloss` is) to a new module Worker and resolves with its reply. */
async function inWorker(message = {}) {
  // Import maps do not reach workers, so the worker gets the URL the page's map gives `segloss`.
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.error ? reject(new Error(`worker: ${data.error}`)) : resolve(data));
      worker.onerror = (e) => reject(new Error(`worker failed to load: ${e.message}`));
      worker.postMessage({ segloss: import.meta.resolve('segloss'), ...message });
    });
  } finally {
    worker.terminate();
  }
}

/** A batch split between the page and a Worker: merged, it must equal one call over the batch. */
async function metricsAcrossWorker() {
  const [N, C, H, W] = [6, 5, 16, 19];
  const P = H * W;
  let s = 7;
  const u = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 2 ** 32);
  const x = Float32Array.from({ length: N * C * P }, () => (u() - 0.5) * 8);
  const t = Uint8Array.from({ length: N * P }, () => (u() < 0.1 ? 255 : Math.floor(u() * C)));
  const seg = await segloss.init();
  const cut = 2; // samples [0, cut) on the page, [cut, N) in the Worker
  const options = (n) => ({ shape: [n, C, H, W], ignoreIndex: 255 });
  const page = seg.confusionMatrix(x.subarray(0, cut * C * P), t.subarray(0, cut * P), options(cut));
  const reply = await inWorker({
    metrics: { prediction: x.slice(cut * C * P), target: t.slice(cut * P), options: options(N - cut) },
  });
  const merged = page.merge(segloss.ConfusionMatrix.fromJSON(reply.matrix));
  const whole = seg.confusionMatrix(x, t, options(N));
  seg.dispose(); // its pool, on the cross-origin-isolated page
  return {
    page: page.total(), worker: segloss.ConfusionMatrix.fromJSON(reply.matrix).total(), workerBackend: reply.backend,
    merged: Array.from(merged.counts), whole: Array.from(whole.counts), meanIoU: merged.meanIoU(),
  };
}

try {
  const main = await run(segloss);
  const worker = (await inWorker()).report;
  const metrics = await metricsAcrossWorker();
  window.__segloss = { main, worker, metrics };
} catch (e) {
  window.__segloss = { error: describe(e) };
}
document.getElementById('out').textContent = JSON.stringify(window.__segloss, null, 1);
