// Node, Deno and Bun entry: copied with ../conformance/check.mjs and ../fixtures into the scratch
// project that has the packed segloss installed (the layout of test/), so `segloss` resolves through
// its package.json exports. Prints one line of JSON: the runtime, then runBackends' report, whose loss
// list is the LOSS_NAMES the package exports.
import { readFile } from 'node:fs/promises';
import * as segloss from 'segloss';
import { FAMILIES, runBackends } from '../conformance/check.mjs';

async function runtime() {
  // the hardware concurrency as the runtime reports it (Node 20 has no navigator)
  const cores = globalThis.navigator?.hardwareConcurrency ?? (await import('node:os')).availableParallelism();
  if (typeof Deno !== 'undefined') return { name: 'deno', version: Deno.version.deno, v8: Deno.version.v8, cores };
  if (typeof Bun !== 'undefined') return { name: 'bun', version: Bun.version, cores };
  return { name: 'node', version: process.versions.node, v8: process.versions.v8, cores };
}

const cases = [];
for (const family of FAMILIES) {
  const text = await readFile(new URL(`../fixtures/${family}.json`, import.meta.url), 'utf8');
  cases.push(...JSON.parse(text).cases);
}
const report = await runBackends(segloss, cases);
console.log(JSON.stringify({ runtime: await runtime(), ...report }));
