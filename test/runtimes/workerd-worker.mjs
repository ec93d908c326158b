// The Worker (run through miniflare by workerd.test.ts): `segloss` resolves, as under wrangler,
// through the package's `workerd` export condition, which imports the kernels as a wasm module. The
// test posts the fixture cases (the files of FAMILIES in ../conformance/check.mjs) as the request
// body; the worker runs the suite and answers with the JSON report, whose loss list is the LOSS_NAMES
// the package exports.
import * as segloss from 'segloss';
import { runBackends } from '../conformance/check.mjs';

export default {
  async fetch(request) {
    const cases = await request.json();
    // Workers may not compile wasm from bytes: show that this is the runtime the entry exists for.
    let compileFromBytes = 'allowed';
    try {
      await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    } catch (e) {
      compileFromBytes = String(e);
    }
    const report = await runBackends(segloss, cases);
    return Response.json({ runtime: { name: 'workerd', userAgent: navigator.userAgent }, compileFromBytes, ...report });
  },
};
