// Types for the parts of bench/cases.mjs the tests read (test/registry.test.ts).
export const CASES: { key: string; loss: string; label: string; kind: 'index' | 'binary'; summary: string[] }[];
export const BENCH_LOSSES: string[];
export const BENCH_EXEMPT: Record<string, string>;
