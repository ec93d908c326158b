// Deno and Bun, the real runtimes from npm (node_modules/.bin), run the fixture suite on the packed
// package: cli.mjs in the scratch project imports `segloss` through node_modules and the package's
// exports, like a user's script would.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { autoThreadsOf, expectAllPassed, expectExitsByItself, runJson, scratchDir, summary } from './scratch.js';

const bin = (name: string) => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

describe('deno', () => {
  it('runs the fixture suite on wasm and js', async () => {
    const dir = scratchDir();
    const version = execFileSync(bin('deno'), ['--version'], { encoding: 'utf8' }).split('\n')[0];
    // node_modules as npm installed it (manual), read access to the scratch project only, a private
    // DENO_DIR so nothing is cached outside it.
    const report = await runJson(
      bin('deno'),
      ['run', '--node-modules-dir=manual', '--no-prompt', `--allow-read=${dir}`, 'runtimes/cli.mjs'],
      { cwd: dir, env: { ...process.env, DENO_DIR: join(dir, '.deno'), NO_COLOR: '1' } },
    );
    console.log(`${version}: ${summary(report)}, init() -> ${report.auto}, ${report.autoThreads} threads`);
    expectAllPassed(report, 'deno', 2, autoThreadsOf(report, 'deno'));
  });

  it("exits by itself after init() (threads 'auto') and one call, without dispose()", async () => {
    const dir = scratchDir();
    await expectExitsByItself(bin('deno'), ['run', '--node-modules-dir=manual', '--no-prompt', `--allow-read=${dir}`, 'runtimes/exit.mjs'], 'deno', {
      ...process.env, DENO_DIR: join(dir, '.deno'), NO_COLOR: '1',
    });
  });
});

describe('bun', () => {
  it('runs the fixture suite on wasm and js', async () => {
    const dir = scratchDir();
    const report = await runJson(bin('bun'), ['run', 'runtimes/cli.mjs'], { cwd: dir });
    console.log(`bun ${report.runtime?.version}: ${summary(report)}, init() -> ${report.auto}, ${report.autoThreads} threads`);
    expectAllPassed(report, 'bun', 2, autoThreadsOf(report, 'bun'));
  });

  it("exits by itself after init() (threads 'auto') and one call, without dispose()", async () => {
    await expectExitsByItself(bin('bun'), ['run', 'runtimes/exit.mjs'], 'bun');
  });
});
