// firstOutside: the input checks. exp and log over arrays: what bench/ulp.mjs measures exhaustively and the tests compare with the
// TypeScript twin. The losses call exp4/log4 inline instead.
import { exp4, log4 } from './math';
import { load4, store4 } from './common';
import { ElementwiseArgs, RangeArgs } from './args';

export function expArray(args: usize): void {
  const a = changetype<ElementwiseArgs>(args);
  const x = a.x, y = a.y, n = a.n;
  for (let i = 0; i < n; i += 4) {
    const k = min(4, n - i);
    const at = <usize>i << 2;
    store4(y + at, 4, k, exp4(load4(x + at, 4, k)));
  }
}

export function logArray(args: usize): void {
  const a = changetype<ElementwiseArgs>(args);
  const x = a.x, y = a.y, n = a.n;
  for (let i = 0; i < n; i += 4) {
    const k = min(4, n - i);
    const at = <usize>i << 2;
    store4(y + at, 4, k, log4(load4(x + at, 4, k)));
  }
}

// y += factor * x, element by element (combined losses sum their terms' gradients with it).
export function addScaled(args: usize): void {
  const a = changetype<ElementwiseArgs>(args);
  const dst = a.y, src = a.x, n = a.n, factor = a.factor;
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

// out (i32): the index of the first x[i] outside [low, high] (NaN included), or -1. Groups of four are
// checked at once; the scalar loop finds the element within the first failing group.
export function firstOutside(args: usize): void {
  const a = changetype<RangeArgs>(args);
  const x = a.x, n = a.n, low = a.low, high = a.high;
  const lo = f32x4.splat(low);
  const hi = f32x4.splat(high);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    if (!i32x4.all_true(v128.and(f32x4.ge(v, lo), f32x4.le(v, hi)))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (!(v >= low && v <= high)) {
      store<i32>(a.out, i);
      return;
    }
  }
  store<i32>(a.out, -1);
}
