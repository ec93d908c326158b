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

// dst += factor * src, element by element (combined losses sum their terms' gradients with it).
export function addScaled(dst: usize, src: usize, n: i32, factor: f32): void {
  const f = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(dst + at, f32x4.add(v128.load(dst + at), f32x4.mul(f, v128.load(src + at))));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dst + at, load<f32>(dst + at) + factor * load<f32>(src + at));
  }
}
