// exp and log over arrays: what bench/ulp.mjs measures exhaustively and the tests compare with the
// TypeScript twin. The losses call exp4/log4 inline instead.
import { exp4, log4 } from './math';
import { load4, store4 } from './common';

export function expArray(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const k = min(4, n - i);
    const at = <usize>i << 2;
    store4(y + at, 4, k, exp4(load4(x + at, 4, k)));
  }
}

export function logArray(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const k = min(4, n - i);
    const at = <usize>i << 2;
    store4(y + at, 4, k, log4(load4(x + at, 4, k)));
  }
}
