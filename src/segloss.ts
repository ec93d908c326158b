// The public API of one backend instance. Each loss method comes from the registry (src/losses/):
// it parses the call's options into frozen settings, then runs the loss on a per-call context.
import { type Host, prepare } from './call.js';
import type { Kernels } from './kernels.js';
import type { LossDef } from './losses/define.js';
import { LOSSES, type LossName, type LossOptions } from './losses/index.js';
import { type CombinedOptions, type CombinedResult, runCombined } from './losses/combined.js';
import { Arena, type TypedArray, type TypedArrayConstructor, WasmArray } from './memory.js';
import type { Input, LossResult, TargetInput } from './options.js';
import { type ConfusionMatrix, type ConfusionMatrixOptions, type LabelMap, type Prediction, confusionMatrix } from './metrics.js';

export type Backend = 'wasm' | 'js';

/** The window through which the copying path streams a batch: large enough that the bookkeeping of a
 *  window is negligible, small enough to stay in the last-level cache (measured on voc: 1 MiB windows
 *  cost 1.2x the zero-copy time, 4 MiB 1.05-1.08x, 32 MiB 1.16-1.19x). */
const WINDOW_BYTES = 4 << 20;

const ALLOC_TYPES: unknown[] = [Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array];

/** One method per registered loss: `(input, target, options) => { loss, grad? }`. */
export type LossMethods = {
  [N in LossName]: (input: Input, target: TargetInput, options: LossOptions<N>) => LossResult;
};

export interface Segloss extends LossMethods {}

export class Segloss {
  /** @internal the kernels and memory every call borrows */
  readonly host: Host;

  constructor(
    readonly backend: Backend,
    kernels: Kernels,
  ) {
    this.host = { kernels, arena: new Arena(kernels.memory, kernels.heapBase()), windowBytes: WINDOW_BYTES };
  }

  /** The threads each loss runs on: 1, or 1 + the live Workers of the pool that init() started (a
   *  worker that died no longer counts; 1 again after dispose()). */
  get threads(): number {
    const pool = this.host.kernels.pool;
    return pool ? pool.workers + 1 : 1;
  }

  /** Ends the pool's Workers, if any; the instance keeps working on one thread. */
  dispose(): void {
    const kernels = this.host.kernels as { pool?: { end(): void } };
    if (!kernels.pool) return;
    kernels.pool.end();
    kernels.pool = undefined;
  }

  /** `using seg = await init()` ends the pool at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Bytes of linear memory the backend holds now (it grows to the largest call's need, then stays). */
  get memoryBytes(): number {
    return this.host.kernels.memory.buffer.byteLength;
  }

  /**
   * A typed array in the backend's memory, used in place (no copy) when passed as an input, a
   * target or an `out` gradient buffer. Fill it through `.view`; `free()` it when done.
   */
  alloc<T extends TypedArray>(type: TypedArrayConstructor<T>, length: number): WasmArray<T> {
    if (!ALLOC_TYPES.includes(type)) {
      throw new TypeError(`alloc: type must be Float32Array or an integer typed array constructor, got ${String(type?.name ?? type)}`);
    }
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`alloc: length must be a non-negative integer, got ${length}`);
    }
    const ptr = this.host.arena.keep(length * type.BYTES_PER_ELEMENT);
    return new WasmArray(this.host.arena, type, ptr, length);
  }

  /** Confusion counts of a prediction (scores or labels) against a label map (src/metrics.ts). */
  confusionMatrix(prediction: Prediction, target: LabelMap, options: ConfusionMatrixOptions & { perSample: true }): ConfusionMatrix[];
  confusionMatrix(prediction: Prediction, target: LabelMap, options: ConfusionMatrixOptions & { perSample?: false }): ConfusionMatrix;
  confusionMatrix(prediction: Prediction, target: LabelMap, options: ConfusionMatrixOptions): ConfusionMatrix | ConfusionMatrix[];
  confusionMatrix(prediction: Prediction, target: LabelMap, options: ConfusionMatrixOptions): ConfusionMatrix | ConfusionMatrix[] {
    return confusionMatrix(this.host.kernels, this.host.arena, prediction, target, options);
  }


  /** Weighted sum of losses over the same input, e.g. 0.5 crossEntropy + 0.5 dice. */
  combined(input: Input, target: TargetInput, options: CombinedOptions): CombinedResult {
    return runCombined(this.host, input, target, options);
  }
}

for (const loss of Object.values(LOSSES) as LossDef[]) {
  Object.defineProperty(Segloss.prototype, loss.name, {
    value(this: Segloss, input: Input, target: TargetInput, options: unknown): LossResult {
      const { call, settings } = prepare(this.host, loss, input, target, options);
      return loss.run(call, settings);
    },
    writable: true,
    configurable: true,
  });
}
