// Twin of assembly/sigmoid.ts, one element (wasm lane) at a time.
import { fr, expNonPositive, log, pow } from './math.js';
import { Heap, LaneSums, forTiles } from './heap.js';
import { type ArgsOf, LOSS_SUMS_AT, SIGMOID_ARGS, readArgs } from '../abi.js';

type SigmoidArgs = ArgsOf<typeof SIGMOID_ARGS>;
const read = (heap: Heap, args: number): SigmoidArgs => readArgs(heap.buffer, args, SIGMOID_ARGS);

export const bceLogits = (heap: Heap, args: number) => sigmoidLoss(heap, read(heap, args), true, false);
export const bceProbabilities = (heap: Heap, args: number) => sigmoidLoss(heap, read(heap, args), false, false);
export const focalSigmoid = (heap: Heap, args: number) => sigmoidLoss(heap, read(heap, args), true, true);

function sigmoidLoss(heap: Heap, a: SigmoidArgs, fromLogits: boolean, focal: boolean): void {
  const { x, labels, y, posWeight, weight, N, C, P, nhwc, labelOffset, ignore, gamma, alpha, scale, grad, losses, out } = a;
  const { f32, i32 } = heap.views();
  const cs = nhwc ? 1 : P;
  const ps = nhwc ? C : 1;
  const beta = fr(1 - alpha);
  const sums = new LaneSums(heap, a.tmp + LOSS_SUMS_AT);
  forTiles(a, (n, t0, end, starts, ends, block) => {
    if (starts) sums.reset();
    for (let c = 0; c < C; c++) {
      for (let i = t0; i < end; i++) {
        const label = labels ? i32[(labels >>> 2) + n * P + i] : 0;
        const valid = !labels || label !== ignore;
        const at = n * C * P + c * cs + i * ps;
        const xc = f32[(x >>> 2) + at];
        const yc = labels ? (label === c + labelOffset ? 1 : 0) : f32[(y >>> 2) + at];
        const notY = fr(1 - yc);
        let loss: number;
        let g: number;
        if (fromLogits) {
          const e = expNonPositive(-Math.abs(xc));
          const u = fr(1 + e);
          const r = fr(1 / u);
          // log(u) is log4 on [1, 2]; the correction is multiplied by r (assembly/math.ts log1pWith)
          const softplus = fr(fr(log(u) + fr(fr(e - fr(u - 1)) * r)) + Math.max(-xc, 0));
          const positive = xc >= 0;
          const p = positive ? r : fr(e * r);
          if (focal) {
            const q = positive ? fr(e * r) : r;
            const ce = fr(fr(notY * xc) + softplus);
            const rest = fr(fr(yc * q) + fr(notY * p));
            let mod = 1;
            let slope = 0;
            if (gamma !== 0) {
              mod = gamma === 2 ? fr(rest * rest) : pow(rest, gamma);
              slope = fr(fr(fr(gamma * fr(ce / rest)) * mod) * fr(p * q));
              slope = fr(slope * fr(1 - fr(yc + yc)));
              if (!(rest > 0)) slope = 0;
            }
            const alphaT = alpha >= 0 ? fr(fr(alpha * yc) + fr(beta * notY)) : 1;
            loss = fr(alphaT * fr(ce * mod));
            g = fr(alphaT * fr(fr(fr(p - yc) * mod) + slope));
          } else {
            const pw = f32[(posWeight >>> 2) + c];
            const wc = f32[(weight >>> 2) + c];
            const lift = fr(1 + fr(fr(pw - 1) * yc));
            loss = fr(wc * fr(fr(notY * xc) + fr(lift * softplus)));
            g = fr(wc * fr(fr(lift * p) - fr(pw * yc)));
          }
        } else {
          const pw = f32[(posWeight >>> 2) + c];
          const wc = f32[(weight >>> 2) + c];
          const q = fr(1 - xc);
          const logP = log(xc);
          const logQ = log(q);
          const pwy = fr(pw * yc);
          loss = -fr(wc * fr(fr(pwy * Math.max(logP, -100)) + fr(notY * Math.max(logQ, -100))));
          const fromQ = logQ > -100 ? fr(notY / q) : 0;
          const fromP = logP > -100 ? fr(pwy / xc) : 0;
          g = fr(wc * fr(fromQ - fromP));
        }
        if (!valid) loss = 0;
        sums.add(i, loss);
        if (losses) f32[(losses >>> 2) + at] = loss;
        if (grad) f32[(grad >>> 2) + at] = valid ? fr(g * scale) : 0;
      }
    }
    if (ends) heap.views().f64[(out >>> 3) + block] = sums.total();
  });
}
