// What the plain page, its Web Worker and the bundled page all do: fetch the fixtures, run the
// conformance suite on both backends through the given package module (its init and LOSS_NAMES),
// and report (cli.mjs's report, plus where it ran).
import { FAMILIES, runBackends } from '../conformance/check.mjs';

export async function run(segloss) {
  const cases = [];
  for (const family of FAMILIES) {
    const response = await fetch(`/fixtures/${family}.json`);
    if (!response.ok) throw new Error(`/fixtures/${family}.json: HTTP ${response.status}`);
    cases.push(...(await response.json()).cases);
  }
  const scope = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope ? 'worker' : 'window';
  return { runtime: { name: 'chromium', version: navigator.userAgent, scope, cores: navigator.hardwareConcurrency }, ...(await runBackends(segloss, cases)) };
}
