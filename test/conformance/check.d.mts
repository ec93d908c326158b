// Types for the runtime-neutral conformance runner (check.mjs).
import type { Segloss } from '../../src/index.js';

export interface ConformanceResult {
  backend: string;
  passed: number;
  failed: number;
  failures: { name: string; why: string }[];
}

export const FAMILIES: string[];
/** The package's LOSS_NAMES plus 'combined'. */
export function lossesOf(lossNames: readonly string[]): string[];
/** The losses of lossesOf(lossNames) that no case calls. */
export function uncovered(lossNames: readonly string[], cases: readonly { fn: string }[]): string[];
export function targetOf(c: unknown): Int32Array | Uint8Array | Uint16Array | Float32Array;
export function worstRatio(a: ArrayLike<number>, b: ArrayLike<number>, abs: number, rel: number): { ratio: number; at: number };
/** Why the case fails, or undefined when it passes. */
export function checkCase(segloss: Segloss, c: unknown): string | undefined;
export function runConformance(segloss: Segloss, cases: unknown[]): Promise<ConformanceResult>;
export function runBackends(
  segloss: { init: (options?: object) => Promise<Segloss>; LOSS_NAMES: readonly string[] },
  cases: unknown[],
  options?: object,
): Promise<{
  auto: string;
  /** seg.threads of init() with no options (threads 'auto' where Workers and shared memory are available) */
  autoThreads: number;
  cases: number;
  fns: string[];
  losses: string[];
  uncovered: string[];
  results: (ConformanceResult & { requested: string })[];
}>;
