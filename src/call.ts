// One loss call: its located arguments, geometry and target kind, and the plumbing every loss shares
// (placing arrays, validating labels, running a kernel, delivering the gradient). A Call is made after
// all options are parsed, and holds all of the call's state: nothing is kept on the Segloss instance.
import { type KernelArgs, type KernelName, KERNELS, argsBytes, scratchBytes, writeArgs } from './abi.js';
import type { Kernels } from './kernels.js';
import { type Arena, type TypedArray, type TypedArrayConstructor, WasmArray } from './memory.js';
import { type Geometry, type LossResult, type TargetKind, badLabel, geometry, targetKind } from './options.js';
import { type Schema, type Settings, parseSettings, show } from './schema.js';

/** What a Segloss instance lends its calls: its kernels and its memory. */
export interface Host {
  readonly kernels: Kernels;
  readonly arena: Arena;
}

/**
 * An argument: the caller's own array, or a block of the backend's memory. A view of that memory is
 * re-derived on every use, because any allocation may grow the memory and detach older views.
 */
export class Arg<T extends TypedArray = TypedArray> {
  constructor(
    private readonly arena: Arena,
    readonly type: TypedArrayConstructor<T>,
    readonly length: number,
    /** byte offset in the backend's memory, or -1 for an array outside it */
    readonly at: number,
    /** the caller's array: a typed array outside memory, or a WasmArray */
    private readonly source?: T | WasmArray<T>,
  ) {}

  get view(): T {
    if (this.source instanceof WasmArray) return this.source.view;
    return this.at >= 0 ? new this.type(this.arena.memory.buffer, this.at, this.length) : this.source!;
  }

  /** How error messages name it. */
  get shown(): string {
    return this.source instanceof WasmArray ? `a ${this.type.name} WasmArray(${this.length})` : show(this.source ?? this.view);
  }

  get bytes(): number {
    return this.length * this.type.BYTES_PER_ELEMENT;
  }

  overlaps(other: Arg): boolean {
    if (this.bytes === 0 || other.bytes === 0) return false;
    if (this.at >= 0 && other.at >= 0) return this.at < other.at + other.bytes && other.at < this.at + this.bytes;
    if (this.at >= 0 || other.at >= 0) return false;
    const a = this.source as T;
    const b = other.source as TypedArray;
    return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
  }
}

function isDetached(view: ArrayBufferView): boolean {
  try {
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/** Where an argument lives. WasmArrays must belong to this instance; stale views are rejected. */
export function locate(arena: Arena, source: unknown, name: string): Arg {
  if (source instanceof WasmArray) {
    if (!source.belongsTo(arena)) {
      throw new TypeError(`${name} is a WasmArray of another segloss instance (or backend); allocate it with this instance's alloc()`);
    }
    if (source.isFreed) throw new TypeError(`${name} is a WasmArray that was freed`);
    return new Arg(arena, source.type, source.length, source.ptr, source);
  }
  if (!ArrayBuffer.isView(source) || source instanceof DataView) {
    throw new TypeError(`${name} must be a typed array or a WasmArray, got ${show(source)}`);
  }
  if (isDetached(source)) {
    throw new RangeError(
      `${name} is a view whose ArrayBuffer is detached: segloss memory has grown since it was taken; read WasmArray.view again`,
    );
  }
  const view = source as TypedArray;
  const type = view.constructor as TypedArrayConstructor<TypedArray>;
  const at = view.buffer === arena.memory.buffer ? view.byteOffset : -1;
  return new Arg(arena, type, view.length, at, view);
}

/** The options every loss call takes besides its own schema. */
export const CALL_KEYS = ['shape', 'layout', 'grad', 'out'] as const;

export interface CallOptions {
  shape: readonly number[];
  layout?: 'NCHW' | 'NHWC';
  grad?: boolean;
  out?: unknown;
}

/** Validates and parses a loss call: arguments, geometry, target, `out`, then the loss's own schema. */
export function prepare<S extends Schema>(
  host: Host, loss: { name: string; schema: S }, input: unknown, target: unknown, options: unknown,
): { call: Call; settings: Settings<S> } {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${loss.name}: options with a 'shape' are required, got ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  checkKeys(o, [...CALL_KEYS, ...Object.keys(loss.schema)], loss.name);
  const { arena } = host;
  const x = locate(arena, input, 'input') as Arg<Float32Array>;
  if (x.type !== Float32Array) throw new TypeError(`input must be a Float32Array, got ${x.shown}`);
  const g = geometry(x.length, o as unknown as CallOptions, loss.name);
  const t = locate(arena, target, 'target');
  const kind = targetKind(t, g, x.length);
  const out = o.out === undefined ? undefined : (locate(arena, o.out, 'out') as Arg<Float32Array>);
  const wantGrad = o.grad === undefined ? out !== undefined : checkBoolean('grad', o.grad);
  if (out) checkOut(out, x, t, wantGrad);
  const settings = parseSettings(loss.schema, o, { loss: loss.name, g, target: kind });
  arena.reset();
  return { call: new Call(host, g, kind, x, t, out, wantGrad), settings };
}

export function checkKeys(options: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${what}: unknown option '${key}' (allowed: ${allowed.join(', ')})`);
  }
}

function checkBoolean(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${show(v)}`);
  return v;
}

export function checkOut(out: Arg, input: Arg, target: Arg | undefined, wantGrad: boolean): void {
  if (out.type !== Float32Array) throw new TypeError(`out must be a Float32Array or a Float32Array WasmArray, got ${out.shown}`);
  if (!wantGrad) throw new TypeError('out is given with grad: false');
  if (out.length !== input.length) throw new RangeError(`out must have the input's length ${input.length}, got ${out.length}`);
  if (out.overlaps(input)) throw new RangeError('out must not overlap input');
  if (target && out.overlaps(target)) throw new RangeError('out must not overlap target');
}

/** Where a call's gradient goes: a pointer the kernels write, and how the caller gets it back. */
export interface GradTarget {
  ptr: number;
  /** the caller's `out`: written in place when it lives in memory, else filled by copy */
  out?: Arg<Float32Array>;
}

export class Call {
  /** pointers of the arguments placed so far (a copy is made once per call) */
  private readonly placed = new Map<Arg, number>();

  constructor(
    private readonly host: Host,
    readonly g: Geometry,
    readonly targetKind: TargetKind,
    readonly input: Arg<Float32Array>,
    readonly target: Arg,
    readonly out: Arg<Float32Array> | undefined,
    readonly wantGrad: boolean,
  ) {}

  /** The same arguments with another gradient destination (combined runs its terms this way); its
   *  allocations are its own, so the caller may rewind the arena after it. */
  withOut(out: Arg<Float32Array> | undefined, wantGrad: boolean): Call {
    return new Call(this.host, this.g, this.targetKind, this.input, this.target, out, wantGrad);
  }

  get arena(): Arena {
    return this.host.arena;
  }

  /** No pixel at all: kernels are skipped (their scratch would be sized by C for nothing). */
  get empty(): boolean {
    return this.g.N * this.g.P === 0;
  }

  alloc(bytes: number): number {
    return this.arena.alloc(bytes);
  }

  /** A zeroed block, for results a skipped kernel would have written. */
  zeros(bytes: number): number {
    const ptr = this.arena.alloc(bytes);
    new Uint8Array(this.arena.memory.buffer, ptr, bytes).fill(0);
    return ptr;
  }

  f32(ptr: number, length: number): Float32Array {
    return this.arena.f32(ptr, length);
  }

  f64(ptr: number, length: number): Float64Array {
    return this.arena.f64(ptr, length);
  }

  /** A copy of `data` (per-class vectors, gradient coefficients) for the kernels to read. An empty call
   *  runs no kernel that reads it, so nothing is placed: with a huge C it would be C-sized for nothing. */
  putF32(data: ArrayLike<number>): number {
    return this.empty ? 0 : this.arena.putF32(data);
  }

  /** Zeroed f64 statistics the kernels add into, and how to read them back. An empty call runs no
   *  kernel: they stay zero, kept outside memory (N * C of them, for nothing, with a huge C). */
  stats(length: number): { ptr: number; read(): Float64Array } {
    if (this.empty) {
      const zero = new Float64Array(length);
      return { ptr: 0, read: () => zero };
    }
    const ptr = this.zeros(length * 8);
    return { ptr, read: () => this.f64(ptr, length) };
  }

  /** The input's pointer: in place, or a copy. */
  placeInput(): number {
    return this.place(this.input);
  }

  /** A dense target's pointer: in place, or a copy. */
  placeDense(): number {
    return this.place(this.target as Arg<Float32Array>);
  }

  private place(arg: Arg<Float32Array>): number {
    if (arg.at >= 0) return arg.at;
    let ptr = this.placed.get(arg);
    if (ptr === undefined) this.placed.set(arg, (ptr = this.arena.putF32(arg.view)));
    return ptr;
  }

  /**
   * Places the index map as i32 and validates it: every label in [0, limit) or equal to `ignore`.
   * Returns its pointer, the sum of weight[t] over the kept pixels (`weight` a pointer to C f32, or 0)
   * and the kept count.
   */
  labels(limit: number, ignore: number | undefined, weight = 0): { ptr: number; weightSum: number; kept: number } {
    const t = this.target;
    if (t.type === Uint32Array) checkUint32(t.view as Uint32Array, limit, ignore);
    const ptr = t.at >= 0 && t.type === Int32Array ? t.at : this.copyToI32(t);
    const out = this.zeros(32);
    const has = ignore !== undefined;
    this.kernel('labelScan', { labels: ptr, count: t.length, limit, ignore: has ? ignore : 0, hasIgnore: +has, weight, out });
    const [weightSum, kept, bad, first] = this.f64(out, 4);
    if (bad > 0) throw badLabel(first, t.view[first], limit, ignore);
    return { ptr, weightSum, kept };
  }

  /** Throws a RangeError naming the first element of `arg` outside [low, high] (NaN included). */
  checkRange(name: string, arg: Arg, low: number, high: number): void {
    if (arg.length === 0) return;
    const x = this.place(arg as Arg<Float32Array>);
    const out = this.alloc(16);
    this.kernel('firstOutside', { x, n: arg.length, low, high, out });
    const first = new Int32Array(this.arena.memory.buffer, out, 1)[0];
    if (first >= 0) throw new RangeError(`${name}[${first}] = ${arg.view[first]} must be in [${low}, ${high}]`);
  }

  /** The gradient's destination: none, the caller's `out` in place or by copy, or a new block. */
  gradTarget(): GradTarget {
    const { out } = this;
    if (!this.wantGrad) return { ptr: 0 };
    if (out && out.at >= 0) return { ptr: out.at, out };
    return { ptr: this.alloc(this.input.length * 4), out };
  }

  /** An i32 copy of an index map. The block is allocated first and the source's view taken after:
   *  the allocation may grow the memory the source lives in. */
  private copyToI32(t: Arg): number {
    const ptr = this.alloc(t.length * 4);
    new Int32Array(this.arena.memory.buffer, ptr, t.length).set(t.view);
    return ptr;
  }

  /** Runs a kernel with its argument block and scratch placed in the arena. */
  kernel<K extends KernelName>(name: K, args: KernelArgs<K>): void {
    if (this.empty && name !== 'labelScan' && name !== 'firstOutside') return;
    const fields = KERNELS[name].args;
    const tmp = this.alloc(scratchBytes(name, this.g.C));
    const block = this.alloc(argsBytes(fields));
    writeArgs(this.arena.memory.buffer, block, fields, { ...args, tmp } as never);
    this.host.kernels[name](block);
  }

  /** The gradient as the caller gets it: a view of `out`, `out` filled by copy, or a new array. */
  gradOf(grad: GradTarget): Float32Array {
    const view = this.f32(grad.ptr, this.input.length);
    if (grad.out && grad.out.at >= 0) return grad.out.view;
    if (!grad.out) return view.slice();
    const copy = grad.out.view;
    copy.set(view);
    return copy;
  }

  /** A pixel loss's result from the f64 sum at `out`, the per-pixel losses and the divisor. */
  result(sumAt: number, reduction: string, divisor: number, grad: GradTarget, losses: number, lossLength: number): LossResult {
    const sum = this.f64(sumAt, 1)[0];
    let loss: number | Float32Array;
    if (reduction === 'none') loss = this.f32(losses, lossLength).slice();
    else if (reduction === 'sum') loss = sum;
    else loss = divisor > 0 ? sum / divisor : 0; // nothing kept: 0 and a zero gradient
    return grad.ptr ? { loss, grad: this.gradOf(grad) } : { loss };
  }

  /** The gradient's scale for a reduction: 1 / divisor for a mean (0 when nothing is kept). */
  static scale(reduction: string, divisor: number): number {
    return reduction === 'mean' ? (divisor > 0 ? 1 / divisor : 0) : 1;
  }
}

/** Uint32 labels of 2^31 and above would wrap to negative i32: report them as they are. */
function checkUint32(t: Uint32Array, limit: number, ignore: number | undefined): void {
  for (let i = 0; i < t.length; i++) if (t[i] > 0x7fffffff) throw badLabel(i, t[i], limit, ignore);
}

