// One loss call: its located arguments, geometry and target kind, and the plumbing every loss shares
// (placing arrays, validating labels, running a kernel, delivering the gradient). A Call is made after
// all options are parsed, and holds all of the call's state: nothing is kept on the Segloss instance.
import { type KernelArgs, type KernelName, type Split, BLOCK, KERNELS, SPLIT, TILE, argsBytes, scratchBytes, writeArgs } from './abi.js';
import { KERNEL_NAMES } from './kernels.js';
import type { Kernels } from './kernels.js';
import { type Arena, type TypedArray, type TypedArrayConstructor, WasmArray } from './memory.js';
import { type Geometry, type LossResult, type TargetKind, badLabel, geometry, targetKind } from './options.js';
import { type Schema, type Settings, parseSettings, show } from './schema.js';

/** What a Segloss instance lends its calls: its kernels and its memory. */
export interface Host {
  readonly kernels: Kernels;
  readonly arena: Arena;
  /** Bytes of the window through which the copying path streams a batch (its arrays together). */
  windowBytes: number;
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
  host: Host, loss: { name: string; schema: S; targets?: readonly TargetKind[] }, input: unknown, target: unknown, options: unknown,
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
  if (loss.targets && !loss.targets.includes(kind)) {
    throw new TypeError(`${loss.name}: target must be ${kind === 'dense' ? 'an index map (an integer typed array)' : 'a dense Float32Array'}, got ${t.shown}`);
  }
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

export class Call {
  /** the arguments copied whole (one window): a copy is made once per call */
  private readonly placed = new Map<Arg, number>();
  /** the window buffers, by kind, allocated once per call */
  private readonly buffers = new Map<string, number>();
  /** the call's scratch: kept across kernel calls, since streamed kernels carry their sums in it */
  private scratch = { ptr: 0, bytes: 0 };
  /** the scratch of the pool's other threads (they never carry: see kernel()) */
  private threadScratch = { ptr: 0, bytes: 0 };

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

  /** The kernels' per-block sums, `width` f64 a block (a loss's sum: 1; region statistics: 3 C), zeroed.
   *  An empty call runs no kernel: they stay zero, kept outside memory (C-sized for nothing with a huge C). */
  blockSums(width: number): BlockSums {
    const { N, P } = this.g;
    const blocks = Math.max(1, Math.ceil(P / BLOCK));
    const ptr = this.empty ? 0 : this.zeros(8 * width * N * blocks);
    return new BlockSums(this, ptr, width, N, blocks);
  }

  /** Whether the call streams the batch through windows: its input is the caller's own array, copied in
   *  a window at a time. An input that lives in the backend's memory is used in place, in one window. */
  get windowed(): boolean {
    return this.input.at < 0;
  }

  /** The windows of a pass: whole samples while they fit the window, else runs of tiles of one sample,
   *  so that every window starts on a tile boundary and the kernels' lanes and tiles stay those of one
   *  call over the batch. */
  windows(): Window[] {
    const { N, P } = this.g;
    if (!this.windowed || N * P === 0) return [{ n: 0, count: N, p0: 0, len: P }];
    const cap = this.capacity;
    const list: Window[] = [];
    if (P <= cap) {
      const k = Math.max(1, Math.floor(cap / Math.max(P, 1)));
      for (let n = 0; n < N; n += k) list.push({ n, count: Math.min(k, N - n), p0: 0, len: P });
    } else {
      for (let n = 0; n < N; n++) for (let p0 = 0; p0 < P; p0 += cap) list.push({ n, count: 1, p0, len: Math.min(cap, P - p0) });
    }
    return list;
  }

  /** Pixels a window holds: its arrays fit the host's window bytes (the input, the gradient and a
   *  dense target take 4C bytes a pixel each, labels and per-pixel losses 4; 'none' losses of a sigmoid
   *  loss, 4C, may take it over); at least one tile. */
  private get capacity(): number {
    const { C } = this.g;
    const perPixel = 4 * C * (1 + +this.wantGrad + +(this.targetKind === 'dense')) + 8;
    const pixels = Math.max(TILE, Math.floor(this.host.windowBytes / perPixel / TILE) * TILE);
    return pixels < BLOCK ? pixels : Math.floor(pixels / BLOCK) * BLOCK; // windows of whole blocks, once one fits
  }

  /** The window buffer of a gradient or losses of `kind`: C floats (or one, for 'losses') a pixel. */
  stageBuffer(kind: 'grad' | 'losses' | 'elementLosses'): number {
    return this.buffer(kind, kind === 'losses' ? 4 : 4 * this.g.C);
  }

  /** A window buffer of `kind`, allocated once per call at the largest window's size. */
  private buffer(kind: string, bytesPerPixel: number): number {
    let ptr = this.buffers.get(kind);
    if (ptr === undefined) {
      const pixels = this.windowed ? Math.min(this.capacity, this.g.N * this.g.P) : this.g.N * this.g.P;
      this.buffers.set(kind, (ptr = this.alloc(pixels * bytesPerPixel)));
    }
    return ptr;
  }

  /**
   * Runs `body` once per window with the window's arrays placed: the input and (as asked) the labels as
   * i32, the dense target, the gradient (holding what an earlier pass wrote there when `gradIn`), and
   * the per-pixel losses; after each window the gradient and the losses are delivered.
   */
  pass(spec: PassSpec, body: (w: Staged) => void): void {
    this.windows().forEach((w, index) => {
      const staged: Staged = {
        ...w, N: w.count, P: w.len, x: 0, labels: 0, y: 0, grad: 0, losses: 0,
        first: 0, last: w.len, origin: w.p0, pixels: this.g.P, carrySample: w.p0 % BLOCK ? 1 : 0,
      };
      staged.x = spec.input === false ? 0 : this.stageValues(this.input, 'x', w);
      if (spec.labels) staged.labels = this.stageLabels(w).ptr;
      if (spec.dense) staged.y = this.stageValues(this.target as Arg<Float32Array>, 'y', w);
      if (spec.grad) staged.grad = spec.grad.stage(this, w, spec.gradIn ?? false);
      if (spec.losses) staged.losses = spec.losses.stage(this, w);
      if (!this.empty) body(staged);
      spec.grad?.deliver(this, w);
      spec.losses?.deliver(this, w);
    });
  }

  /** The window of an array shaped like the input ([N, C, P] or [N, P, C]): in place when the call
   *  is not windowed and it lives in memory, else gathered into a window buffer. */
  stageValues(arg: Arg<Float32Array>, kind: string, w: Window): number {
    if (!this.windowed && arg.at >= 0) return arg.at;
    const ptr = this.buffer(kind, 4 * this.g.C);
    if (!this.windowed && this.placed.has(arg)) return ptr; // one window, already copied
    copyPixels(arg.view, this.f32(ptr, w.count * this.g.C * w.len), this.g, w, 'in');
    if (!this.windowed) this.placed.set(arg, ptr);
    return ptr;
  }

  /** The window's labels as i32 (in place when they are an Int32 map in memory and the call is not
   *  windowed); Uint32 labels of 2^31 and more are found before they would wrap. */
  private stageLabels(w: Window): { ptr: number; wrapped: number } {
    const t = this.target;
    const start = w.n * this.g.P + w.p0;
    const count = w.count * w.len;
    if (!this.windowed && t.at >= 0 && t.type === Int32Array) return { ptr: t.at, wrapped: -1 };
    const ptr = this.buffer('labels', 4);
    const source = t.view.subarray(start, start + count);
    let wrapped = -1;
    if (t.type === Uint32Array) wrapped = (source as Uint32Array).findIndex((v) => v > 0x7fffffff);
    if (!this.windowed && this.placed.has(t)) return { ptr, wrapped };
    new Int32Array(this.arena.memory.buffer, ptr, count).set(source); // view taken after the allocation
    if (!this.windowed) this.placed.set(t, ptr);
    return { ptr, wrapped };
  }

  /**
   * Validates the index map: every label in [0, limit) or equal to `ignore`. Returns the sum of
   * weight[t] over the kept pixels (`weight` a pointer to C f32, or 0) and the kept count, summed in
   * pixel order across windows as in one pass.
   */
  labels(limit: number, ignore: number | undefined, weight = 0): { weightSum: number; kept: number } {
    const out = this.zeros(32);
    const has = ignore !== undefined;
    this.windows().forEach((w, index) => {
      const { ptr, wrapped } = this.stageLabels(w);
      const count = w.count * w.len;
      this.kernel('labelScan', { labels: ptr, count, limit, ignore: has ? ignore : 0, hasIgnore: +has, weight, out, carry: +(index > 0) });
      const [, , bad, first] = this.f64(out, 4);
      const at = bad > 0 && (wrapped < 0 || first < wrapped) ? first : wrapped;
      if (at >= 0) {
        const index = w.n * this.g.P + w.p0 + at;
        throw badLabel(index, this.target.view[index], limit, ignore);
      }
    });
    const [weightSum, kept] = this.f64(out, 2);
    return { weightSum, kept };
  }

  /** Throws a RangeError naming the first element of `arg` outside [low, high] (NaN included). The
   *  check streams the array's elements in order, in chunks of the window's size. */
  checkRange(name: string, arg: Arg, low: number, high: number): void {
    const out = this.alloc(16);
    const chunk = this.windowed ? this.capacity * 4 * this.g.C : arg.length;
    for (let start = 0; start < arg.length; start += chunk) {
      const n = Math.min(chunk, arg.length - start);
      let x = arg.at + 4 * start;
      if (arg.at < 0) {
        x = this.buffer('check', 16 * this.g.C);
        this.f32(x, n).set((arg.view as Float32Array).subarray(start, start + n));
      }
      this.kernel('firstOutside', { x, n, low, high, out });
      const first = new Int32Array(this.arena.memory.buffer, out, 1)[0];
      if (first >= 0) throw new RangeError(`${name}[${start + first}] = ${arg.view[start + first]} must be in [${low}, ${high}]`);
    }
  }

  /** The input placed whole (a loss that does not stream): in place, or one copy. */
  wholeInput(): number {
    return this.whole(this.input);
  }

  /** A dense target placed whole. */
  wholeDense(): number {
    return this.whole(this.target as Arg<Float32Array>);
  }

  private whole(arg: Arg<Float32Array>): number {
    if (arg.at >= 0) return arg.at;
    const ptr = this.alloc(arg.length * 4);
    this.f32(ptr, arg.length).set(arg.view);
    return ptr;
  }

  /** The index map placed whole as i32 (validate it with `labels` first). */
  wholeLabels(): number {
    const t = this.target;
    if (t.at >= 0 && t.type === Int32Array) return t.at;
    const ptr = this.alloc(t.length * 4);
    new Int32Array(this.arena.memory.buffer, ptr, t.length).set(t.view); // view taken after the allocation
    return ptr;
  }

  /** The whole gradient in memory, for a loss that does not stream: the caller's `out` in place, or a
   *  block copied out at the end. */
  wholeGradient(): { ptr: number; result(): Float32Array } | undefined {
    if (!this.wantGrad) return undefined;
    const { out } = this;
    const n = this.input.length;
    if (out && out.at >= 0) return { ptr: out.at, result: () => out.view };
    const ptr = this.alloc(4 * n);
    return {
      ptr,
      result: () => {
        const view = this.f32(ptr, n);
        if (!out) return view.slice();
        const copy = out.view;
        copy.set(view);
        return copy;
      },
    };
  }

  /** Where the gradient goes, if one is wanted. */
  gradient(): Gradient | undefined {
    return this.wantGrad ? new Gradient(this.out, this.input.length) : undefined;
  }

  /** Per-pixel losses ('pixel': [N, ...S]) or per-element ones ('element': shaped like the input). */
  perPixelLosses(kind: 'pixel' | 'element'): Losses {
    return new Losses(kind, kind === 'pixel' ? this.g.N * this.g.P : this.input.length);
  }

  /** Runs a kernel with its argument block placed in the arena. The scratch block is the call's own
   *  and is kept from one kernel call to the next, since a streamed kernel carries its sums in it. */
  kernel<K extends KernelName>(name: K, args: KernelArgs<K>): void {
    if (this.empty && name !== 'labelScan' && name !== 'firstOutside') return;
    const fields = KERNELS[name].args;
    const bytes = scratchBytes(name, this.g.C);
    if (bytes > this.scratch.bytes) this.scratch = { ptr: this.alloc(bytes), bytes };
    const pool = this.host.kernels.pool;
    const split = SPLIT[name];
    const blocks = pool && split ? blocksOf(args as unknown as Span) : [];
    // a block left open for the next window carries its sums in this thread's scratch: one part
    if (blocks.length > 1 && blocks[blocks.length - 1].ends) {
      this.splitKernel(name, args as Record<string, number>, split!, blocks, Math.min(blocks.length, pool!.workers + 1), bytes);
      return;
    }
    const block = this.alloc(argsBytes(fields));
    writeArgs(this.arena.memory.buffer, block, fields, { ...args, tmp: bytes ? this.scratch.ptr : 0 } as never);
    this.host.kernels[name](block);
    this.arena.rewind(block); // the argument block is read; the next one takes its place
  }

  /**
   * A kernel's blocks split into `parts` runs of consecutive blocks, run at once by this thread (the
   * first run, with the call's scratch, which alone may carry a streamed block) and the pool's workers
   * (each with a scratch of its own). The kernels keep every sum per block, so the parts write what one
   * call would have written.
   */
  private splitKernel(name: KernelName, args: Record<string, number>, split: Split, blocks: Block[], parts: number, bytes: number): void {
    const fields = KERNELS[name].args;
    const { C, P } = args;
    const extra = bytes * (parts - 1);
    if (extra > this.threadScratch.bytes) this.threadScratch = { ptr: this.alloc(extra), bytes: extra };
    const after = this.arena.mark();
    const ptrs: number[] = [];
    for (let part = 0; part < parts; part++) {
      const j0 = Math.floor((part * blocks.length) / parts);
      const j1 = Math.floor(((part + 1) * blocks.length) / parts);
      const from = blocks[j0];
      const to = blocks[j1 - 1];
      const own: Record<string, number> = { ...args, N: to.n - from.n + 1, first: from.start, last: to.end };
      for (const [field, stride] of Object.entries(split.samples)) if (own[field]) own[field] += from.n * stride(C, P);
      for (const [field, stride] of Object.entries(split.blocks)) if (own[field]) own[field] += j0 * stride(C, P);
      if (part > 0) own.carrySample = 0;
      own.tmp = bytes ? (part === 0 ? this.scratch.ptr : this.threadScratch.ptr + (part - 1) * bytes) : 0;
      const ptr = this.alloc(argsBytes(fields));
      writeArgs(this.arena.memory.buffer, ptr, fields, own as never);
      ptrs.push(ptr);
    }
    const kernels = this.host.kernels;
    kernels.pool!.run(KERNEL_NAMES.indexOf(name), ptrs, (ptr) => kernels[name](ptr));
    this.arena.rewind(after); // the thread scratch stays for the call's next kernels
  }

  /** Where a loss kernel writes its per-block sums. */
  lossSums(): BlockSums {
    return this.blockSums(1);
  }

  /** The loss's sum: each sample's block sums added in order, then the samples in order, in f64. */
  sumOf(sums: BlockSums): number {
    let sum = 0;
    for (const v of sums.perSample()) sum += v;
    return sum;
  }

  /** A pixel loss's result from its block sums, the per-pixel losses and the divisor. */
  result(sums: BlockSums, reduction: string, divisor: number, grad: Gradient | undefined, losses: Losses | undefined): LossResult {
    const sum = this.sumOf(sums);
    let loss: number | Float32Array;
    if (reduction === 'none') loss = losses!.array;
    else if (reduction === 'sum') loss = sum;
    else loss = divisor > 0 ? sum / divisor : 0; // nothing kept: 0 and a zero gradient
    return grad ? { loss, grad: grad.result(this) } : { loss };
  }

  /** The gradient's scale for a reduction: 1 / divisor for a mean (0 when nothing is kept). */
  static scale(reduction: string, divisor: number): number {
    return reduction === 'mean' ? (divisor > 0 ? 1 / divisor : 0) : 1;
  }
}

/** A window of the batch: samples [n, n + count), pixels [p0, p0 + len) of each. */
export interface Window {
  n: number;
  count: number;
  p0: number;
  len: number;
}

/** A window as a kernel sees it: its samples (N) of P pixels, its arrays, and what it carries. */
export interface Staged extends Window {
  N: number;
  P: number;
  x: number;
  labels: number;
  y: number;
  grad: number;
  losses: number;
  /** pixels [first, P) of the first sample and [0, last) of the last (assembly/args.ts) */
  first: number;
  last: number;
  /** the window's pixel 0 within its sample, and the sample's pixels: where the blocks end */
  origin: number;
  pixels: number;
  /** the first block continues the previous window's block */
  carrySample: number;
}

export interface PassSpec {
  /** place the input (default true) */
  input?: boolean;
  /** place the index map as i32 */
  labels?: boolean;
  /** place the dense target */
  dense?: boolean;
  grad?: Gradient;
  /** the gradient buffer starts with what an earlier pass of this call left in the gradient */
  gradIn?: boolean;
  losses?: Losses;
}

/** Copies a window between an array shaped like the input and a window buffer ([count, C, len] or
 *  [count, len, C]). */
function copyPixels(full: Float32Array, win: Float32Array, g: Geometry, w: Window, direction: 'in' | 'out'): void {
  const { C, P } = g;
  if (g.nhwc || (w.p0 === 0 && w.len === P)) {
    const start = w.n * C * P + w.p0 * C;
    if (direction === 'in') win.set(full.subarray(start, start + win.length));
    else full.set(win, start);
    return;
  }
  for (let s = 0; s < w.count; s++) {
    for (let c = 0; c < C; c++) {
      const at = ((w.n + s) * C + c) * P + w.p0;
      const wat = (s * C + c) * w.len;
      if (direction === 'in') win.set(full.subarray(at, at + w.len), wat);
      else full.set(win.subarray(wat, wat + w.len), at);
    }
  }
}

/**
 * The gradient's destination. One window: the kernels write the caller's `out` in place when it lives
 * in memory, else a block of memory that is copied out at the end. Windowed: each window's gradient is
 * copied into `out` (or a new array) as soon as it is computed.
 */
export class Gradient {
  private block = -1;
  private array?: Float32Array;

  constructor(
    private readonly out: Arg<Float32Array> | undefined,
    private readonly length: number,
  ) {}

  /** The destination the windows land in: the caller's `out` (its current view) or a new array. */
  private destination(): Float32Array {
    if (this.out) return this.out.view;
    return (this.array ??= new Float32Array(this.length));
  }

  stage(call: Call, w: Window, gradIn: boolean): number {
    if (!call.windowed) {
      if (this.out && this.out.at >= 0) return this.out.at;
      if (this.block < 0) this.block = call.alloc(4 * this.length);
      return this.block;
    }
    const ptr = call.stageBuffer('grad');
    if (gradIn) copyPixels(this.destination(), call.f32(ptr, w.count * call.g.C * w.len), call.g, w, 'in');
    return ptr;
  }

  deliver(call: Call, w: Window): void {
    if (!call.windowed) return;
    copyPixels(this.destination(), call.f32(call.stageBuffer('grad'), w.count * call.g.C * w.len), call.g, w, 'out');
  }

  /** The gradient as the caller gets it: `out` (a view of it when it lives in memory), or a new array. */
  result(call: Call): Float32Array {
    if (call.windowed || (this.out && this.out.at >= 0)) return this.destination();
    const view = call.f32(this.block, this.length);
    if (!this.out) return view.slice();
    const copy = this.out.view;
    copy.set(view);
    return copy;
  }
}

/** The per-pixel (or per-element) losses of reduction 'none', delivered window by window. */
export class Losses {
  readonly array: Float32Array;

  constructor(
    private readonly kind: 'pixel' | 'element',
    length: number,
  ) {
    this.array = new Float32Array(length);
  }

  stage(call: Call, w: Window): number {
    return call.stageBuffer(this.kind === 'pixel' ? 'losses' : 'elementLosses');
  }

  deliver(call: Call, w: Window): void {
    const { g } = call;
    if (this.kind === 'element') {
      copyPixels(this.array, call.f32(call.stageBuffer('elementLosses'), w.count * g.C * w.len), g, w, 'out');
      return;
    }
    const count = w.count * w.len;
    this.array.set(call.f32(call.stageBuffer('losses'), count), w.n * g.P + w.p0);
  }
}



/**
 * The per-block sums of a pass (assembly/args.ts): `width` f64 for each block of BLOCK pixels of each
 * sample, at ptr. A kernel call is handed the slot of its first block.
 */
export class BlockSums {
  constructor(
    private readonly call: Call,
    private readonly ptr: number,
    private readonly width: number,
    private readonly N: number,
    private readonly blocks: number,
  ) {}

  /** Where window w's first block goes. */
  at(w: Window): number {
    return this.ptr === 0 ? 0 : this.ptr + 8 * this.width * (w.n * this.blocks + Math.floor(w.p0 / BLOCK));
  }

  /** [N, width]: each sample's block sums added in block order, from 0. */
  perSample(): Float64Array {
    const { N, width, blocks } = this;
    const out = new Float64Array(N * width);
    if (this.ptr === 0) return out;
    const all = this.call.f64(this.ptr, N * blocks * width);
    for (let n = 0; n < N; n++) {
      for (let b = 0; b < blocks; b++) {
        const from = (n * blocks + b) * width;
        for (let j = 0; j < width; j++) out[n * width + j] += all[from + j];
      }
    }
    return out;
  }
}

/** The range fields of a splittable kernel's arguments. */
interface Span {
  N: number;
  P: number;
  first: number;
  last: number;
  origin: number;
  pixels: number;
}

/** A block of a kernel call: sample n (of the call), pixels [start, end) in memory, and whether it ends
 *  within the call (else a later window continues it). */
interface Block {
  n: number;
  start: number;
  end: number;
  ends: boolean;
}

/** The blocks a kernel call covers, in order (as assembly/common.ts cuts them). */
function blocksOf(a: Span): Block[] {
  const list: Block[] = [];
  for (let n = 0; n < a.N; n++) {
    const end = n === a.N - 1 ? a.last : a.P;
    for (let start = n === 0 ? a.first : 0; start < end; ) {
      const next = Math.min(end, (Math.floor((a.origin + start) / BLOCK) + 1) * BLOCK - a.origin);
      list.push({ n, start, end: next, ends: (a.origin + next) % BLOCK === 0 || a.origin + next === a.pixels });
      start = next;
    }
  }
  return list;
}
