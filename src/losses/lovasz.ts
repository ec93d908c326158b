// The Lovász losses' shared run (Berman et al. 2018). The errors of a class are sorted over the whole
// batch (or image), so these losses do not stream: the input and labels are placed whole, and the
// kernel (assembly/lovasz.ts or its twin) sorts, walks and writes the gradient in one call.
import { type ArgsOf, type LOVASZ_ARGS } from '../abi.js';
import type { Call } from '../call.js';
import type { LossResult } from '../options.js';
import { show } from '../schema.js';

/** Pixels per problem: the sort keeps a foreground bit in bit 31 of a pixel index. */
const LIMIT = 2 ** 31 - 1;

export type LovaszKernel = 'lovaszSoftmax' | 'lovaszProbabilities' | 'lovaszHinge';
type Fields = Pick<ArgsOf<typeof LOVASZ_ARGS>, 'x' | 'labels' | 'y' | 'select' | 'ignore'>;

/** Allocates the work buffers, runs the kernel and delivers the loss and the gradient. */
export function runLovasz(call: Call, kernel: LovaszKernel, fields: Fields, perImage: boolean, sum: boolean): LossResult {
  const { N, C, P, nhwc } = call.g;
  if (N * P > LIMIT) throw new RangeError(`${kernel}: at most ${LIMIT} pixels per problem, got shape ${show(call.g.shape)}`);
  const M = (perImage ? 1 : N) * P;
  const out = call.zeros(16);
  const grad = call.wholeGradient();
  const probs = kernel === 'lovaszSoftmax' ? call.alloc(C * M * 4) : 0;
  const dprobs = grad ? call.alloc(C * M * 4) : 0;
  const pairs = call.alloc(M * 16);
  call.kernel(kernel, { ...fields, N, C, P, nhwc: +nhwc, perImage: +perImage, sum: +sum, grad: grad?.ptr ?? 0, out, probs, dprobs, pairs });
  const loss = call.f64(out, 1)[0];
  return grad ? { loss, grad: grad.result() } : { loss };
}

/** Labels placed whole as i32, after the shared validation. */
export function wholeLabels(call: Call, limit: number, ignore: number | undefined): number {
  call.labels(limit, ignore);
  return call.wholeLabels();
}
