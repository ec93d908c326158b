// Node, Deno and Bun entry: copied beside conformance.mjs and the fixtures into the scratch project
// that has the packed segloss installed, so `segloss` resolves through its package.json exports.
// Prints one line of JSON: the runtime, then runBackends' report.
import { readFile } from 'node:fs/promises';
import { init } from 'segloss';
import { FAMILIES, runBackends } from './conformance.mjs';

function runtime() {
  if (typeof Deno !== 'undefined') return { name: 'deno', version: Deno.version.deno, v8: Deno.version.v8 };
  if (typeof Bun !== 'undefined') return { name: 'bun', version: Bun.version };
  return { name: 'node', version: process.versions.node, v8: process.versions.v8 };
}

const cases = [];
for (const family of FAMILIES) {
  const text = await readFile(new URL(`./fixtures/${family}.json`, import.meta.url), 'utf8');
  cases.push(...JSON.parse(text).cases);
}
const report = await runBackends(init, cases);
console.log(JSON.stringify({ runtime: runtime(), ...report }));
