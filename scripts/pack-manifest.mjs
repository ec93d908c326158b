// npm pack / npm publish: the packed package.json has no `prepare` script.
//
// `prepare` builds the wasm and dist/ on `npm ci` in a clone and on a git-URL install. A tarball already
// holds the build, and npm never runs a tarball's `prepare`, but npm 11 still warns about it on
// `npm install ./segloss-0.1.0.tgz` ("1 package has install scripts not yet covered by allowScripts").
// `prepack` runs `strip` after the build: package.json is saved byte for byte and rewritten without
// `prepare`; npm reads the manifest again after prepack, packs it, and `postpack` runs `restore`.
// A pack that failed in between leaves the saved copy, which the next `strip` or `restore` puts back.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const saved = join(root, 'package.json.packing');

function restore() {
  if (existsSync(saved)) renameSync(saved, manifest);
}

const command = process.argv[2];
if (command === 'strip') {
  restore();
  const text = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(text);
  writeFileSync(saved, text);
  delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (command === 'restore') {
  restore();
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
