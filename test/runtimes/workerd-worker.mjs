// The Worker (run through miniflare by workerd.test.ts): `segloss` resolves, as under wrangler,
// through the package's `workerd` export condition, which imports the kernels as a wasm module. The
// fixtures are bundled as text modules. A request runs the suite and answers with the JSON report.
import { init } from 'segloss';
import { runBackends } from './conformance.mjs';
import crossEntropy from './fixtures/crossEntropy.json';
import binaryCrossEntropy from './fixtures/binaryCrossEntropy.json';
import focal from './fixtures/focal.json';
import region from './fixtures/region.json';
import combined from './fixtures/combined.json';
import lovasz from './fixtures/lovasz.json';

const texts = [crossEntropy, binaryCrossEntropy, focal, region, combined, lovasz];

export default {
  async fetch() {
    const cases = texts.flatMap((text) => JSON.parse(text).cases);
    // Workers may not compile wasm from bytes: show that this is the runtime the entry exists for.
    let compileFromBytes = 'allowed';
    try {
      await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    } catch (e) {
      compileFromBytes = String(e);
    }
    const report = await runBackends(init, cases);
    return Response.json({ runtime: { name: 'workerd', userAgent: navigator.userAgent }, compileFromBytes, ...report });
  },
};
