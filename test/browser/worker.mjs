// Module Web Worker: the same suite off the main thread; or, asked for `metrics`, the confusion matrix
// of the samples it is sent, posted back as toJSON() for the page to merge.
import { run } from './run.mjs';

self.onmessage = async ({ data }) => {
  try {
    const segloss = await import(data.segloss);
    if (data.metrics) {
      const { prediction, target, options } = data.metrics;
      const seg = await segloss.init();
      self.postMessage({ matrix: seg.confusionMatrix(prediction, target, options).toJSON(), backend: seg.backend });
      seg.dispose();
      return;
    }
    self.postMessage({ report: await run(segloss) });
  } catch (e) {
    self.postMessage({ error: String(e && e.stack ? e.stack : e) });
  }
};
