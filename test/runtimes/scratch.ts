// Shared by the runtime and browser tests: the scratch project with the packed package installed
// (see setup.ts), running a command that prints a JSON report, and the assertions on a report.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { expect, inject } from 'vitest';
import { LOSS_NAMES } from '../../src/index.js';
import { lossesOf } from '../conformance/check.mjs';
import { loadFixtures } from '../fixtures.js';

/** The scratch project's directory; throws (failing the test) when packing or installing failed. */
export function scratchDir(): string {
  const pkg = inject('seglossPackage');
  if (!pkg?.dir) throw new Error(pkg?.error ?? 'no scratch package: is test/runtimes/setup.ts the globalSetup?');
  return pkg.dir;
}

/** Fixture cases in the repo: what every runtime must report as passed, per backend. */
export const CASES = loadFixtures().length;


export interface Result {
  backend: string | null;
  requested: string;
  threadsRequested: number;
  /** seg.threads */
  threads?: number;
  passed: number;
  failed: number;
  failures: { name: string; why: string }[];
}

export interface Report {
  /** cores: the hardware concurrency the runtime reports (navigator.hardwareConcurrency, or Node's os.availableParallelism()) */
  runtime?: { name: string; version: string; cores?: number };
  auto: string;
  /** seg.threads of init() with no options */
  autoThreads: number;
  cases: number;
  fns: string[];
  /** The packed package's LOSS_NAMES plus 'combined', as the runtime imported them. */
  losses: string[];
  /** Those of `losses` no fixture case calls. */
  uncovered: string[];
  results: Result[];
}

/** Runs a command that prints one JSON line (its last line of stdout) and returns it parsed. */
export function runJson(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number },
): Promise<Report & Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeout ?? 60_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`${command} printed no JSON report\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      },
    );
  });
}

/**
 * The threads init() picks by default where Workers and shared memory exist: 'auto', the runtime's
 * hardware concurrency capped at 8 (more than 1 wherever this machine has more than one core).
 */
export function autoThreadsOf(report: Report, where: string): number {
  const cores = report.runtime?.cores;
  expect(cores, `${where}: the runtime's hardware concurrency`).toBeTypeOf('number');
  if (availableParallelism() > 1) expect(cores, `${where}: cores, on a machine with ${availableParallelism()}`).toBeGreaterThan(1);
  return Math.min(8, cores!);
}

/**
 * Both backends passed every fixture case, the fixtures cover every loss the packed package exports
 * (its LOSS_NAMES, the same as the repo's, plus 'combined'), the wasm one really ran on wasm (also with
 * `threads: 2`, which got `threads` threads: 2 where Workers and shared memory exist), and init() with
 * no options chose wasm on `autoThreads` threads (1 where Workers or shared memory are missing).
 */
export function expectAllPassed(report: Report, where: string, threads: number, autoThreads: number): void {
  expect(report.cases, `${where}: fixture cases loaded`).toBe(CASES);
  expect(report.losses, `${where}: the package's LOSS_NAMES + combined`).toEqual(lossesOf(LOSS_NAMES));
  expect(report.uncovered, `${where}: losses without fixtures`).toEqual([]);
  expect(report.fns, `${where}: losses covered`).toEqual(expect.arrayContaining(report.losses));
  expect(report.results.map((r) => [r.requested, r.threadsRequested])).toEqual([['wasm', 1], ['js', 1], ['wasm', 2]]);
  expect(report.results.map((r) => r.threads), `${where}: seg.threads`).toEqual([1, 1, threads]);
  for (const r of report.results) {
    const label = `${where}, backend '${r.requested}', ${r.threadsRequested} thread(s) requested`;
    expect(r.failures, `${label}: failures`).toEqual([]);
    expect(r.failed, `${label}: failed`).toBe(0);
    expect(r.passed, `${label}: passed`).toBe(CASES);
    expect(r.backend, `${label}: seg.backend`).toBe(r.requested);
  }
  expect(report.auto, `${where}: init() with no options`).toBe('wasm');
  expect(report.autoThreads, `${where}: seg.threads of init() with no options`).toBe(autoThreads);
}

/**
 * Runs runtimes/exit.mjs (init() with the default threads, one call, no dispose()) in the scratch
 * project and expects the process to end by itself, promptly, having run min(8, cores) threads.
 */
export async function expectExitsByItself(command: string, args: string[], where: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const started = performance.now();
  const out = (await runJson(command, args, { cwd: scratchDir(), env, timeout: 30_000 })) as unknown as { threads: number; cores: number; loss: number };
  const seconds = (performance.now() - started) / 1000;
  console.log(`${where}: init() ran ${out.threads} threads (${out.cores} cores), no dispose(), exited after ${seconds.toFixed(2)} s`);
  expect(out.loss).toBeTypeOf('number');
  if (availableParallelism() > 1) expect(out.cores, `${where}: cores`).toBeGreaterThan(1);
  expect(out.threads, `${where}: seg.threads of init()`).toBe(Math.min(8, out.cores));
  expect(seconds, `${where}: the process ends as soon as its work is done`).toBeLessThan(10);
}

export function summary(report: Report): string {
  return report.results.map((r) => `${r.backend ?? r.requested}${r.threads && r.threads > 1 ? ` ${r.threads} threads` : ''} ${r.passed}/${r.passed + r.failed}`).join(', ');
}

/** The target of `exports['.']` under `conditions` (Node's algorithm: first matching key wins). */
export function resolveExport(target: unknown, conditions: string[]): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = resolveExport(t, conditions);
      if (r) return r;
    }
    return undefined;
  }
  if (target && typeof target === 'object') {
    for (const [key, value] of Object.entries(target)) {
      if (conditions.includes(key)) {
        const r = resolveExport(value, conditions);
        if (r) return r;
      }
    }
  }
  return undefined;
}

export type Module = { type: 'ESModule' | 'CompiledWasm' | 'Text'; path: string; contents?: string };

/** The static import graph from `entry` (relative imports only; the package has no dependencies). */
export async function collect(root: string, entry: string, into = new Map<string, Module>()): Promise<Map<string, Module>> {
  const name = relative(root, entry).split('\\').join('/');
  if (into.has(name)) return into;
  if (entry.endsWith('.wasm')) {
    into.set(name, { type: 'CompiledWasm', path: name });
    return into;
  }
  into.set(name, { type: 'ESModule', path: name });
  const code = await readFile(entry, 'utf8');
  // TypeScript's own scanner lists the static imports and re-exports (and literal dynamic imports).
  const specifiers = ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
  for (const s of specifiers) {
    if (!s.startsWith('.')) throw new Error(`${name} imports ${s}: only relative imports are expected in the package`);
    await collect(root, join(dirname(entry), s), into);
  }
  return into;
}
