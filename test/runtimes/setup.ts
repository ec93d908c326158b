// vitest globalSetup: once per test run, `npm pack` the package as it is built now (dist/ and
// build/kernels.wasm, which `npm test` has just rebuilt) and install the tarball into a scratch project
// under the OS temp dir, beside the runtime-neutral conformance runner and the fixtures (laid out as
// in test/: conformance/, runtimes/, browser/, fixtures/, so relative imports hold in both). The runtime
// and browser tests all run against that install: what users get is what we test. Any problem is
// handed to those tests (they fail with it) rather than thrown here, so unit-only runs are unaffected.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);

export interface ScratchPackage {
  /** The scratch project: node_modules/segloss, fixtures/, conformance/check.mjs, runtimes/ and browser/ entries. */
  dir?: string;
  /** The tarball npm pack wrote (inside dir). */
  tarball?: string;
  /** Why there is no scratch project. */
  error?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    seglossPackage: ScratchPackage;
  }
}

async function newest(dir: string): Promise<{ path: string; mtime: number }> {
  let best = { path: dir, mtime: 0 };
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const { mtimeMs } = await stat(path);
    if (mtimeMs > best.mtime) best = { path, mtime: mtimeMs };
  }
  return best;
}

/** Throws unless dist/ and build/kernels.wasm exist and are newer than their sources. */
async function checkBuilt(root: string): Promise<void> {
  const outputs = [
    ['dist/index.js', 'src'],
    ['build/kernels.wasm', 'assembly'],
  ];
  for (const [output, source] of outputs) {
    const built = await stat(join(root, output)).catch(() => undefined);
    if (!built) throw new Error(`${output} is missing: run \`npm run build\` first (\`npm test\` does)`);
    const latest = await newest(join(root, source));
    if (latest.mtime > built.mtimeMs) {
      throw new Error(
        `${output} is older than ${relative(root, latest.path)}: run \`npm run build\` first (\`npm test\` does)`,
      );
    }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = project.config.root;
  let dir: string | undefined;
  try {
    await checkBuilt(root);
    dir = await mkdtemp(join(tmpdir(), 'segloss-pack-'));
    // --ignore-scripts: `prepare` would rebuild; npm test has built already, and the check above
    // makes sure a bare `vitest run` does not pack stale output.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root });
    const tarball = join(dir, JSON.parse(stdout)[0].filename as string);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'segloss-scratch', private: true, type: 'module', allowScripts: { segloss: false } }, null, 2),
    );
    // The tarball has no dependencies, so this needs no registry.
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: dir });
    // The runtime-neutral runner and every runtime's entry, side by side: nothing runs from the repo.
    const files: [string, string[]][] = [
      ['conformance', ['check.mjs']],
      ['runtimes', ['cli.mjs', 'exit.mjs', 'workerd-worker.mjs']],
      ['browser', ['index.html', 'page.mjs', 'run.mjs', 'worker.mjs', 'bundle.html', 'bundle.mjs']],
    ];
    for (const [sub, names] of files) {
      await mkdir(join(dir, sub));
      for (const file of names) await cp(join(root, 'test', sub, file), join(dir, sub, file));
    }
    await mkdir(join(dir, 'fixtures'));
    for (const file of await readdir(join(root, 'test/fixtures'))) {
      if (file.endsWith('.json')) await cp(join(root, 'test/fixtures', file), join(dir, 'fixtures', file));
    }
    project.provide('seglossPackage', { dir, tarball });
  } catch (e) {
    const error = e instanceof Error ? `${e.message}${'stderr' in e ? `\n${String(e.stderr)}` : ''}` : String(e);
    project.provide('seglossPackage', { error: `packing segloss failed: ${error}` });
  }
  return async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}
