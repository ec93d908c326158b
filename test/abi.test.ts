// The kernel interface is declared on both sides; these tests keep the declarations in step: the wasm
// module and the TypeScript twins export the same kernels with the same signature (one argument
// block), src/abi.ts lists exactly those kernels, and its argument blocks match assembly/args.ts field
// for field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLASS_SUMS_AT, KERNELS, LOSS_SUMS_AT, SLOT, SLOTS } from '../src/abi.js';
import * as twins from '../src/fallback/index.js';
import { backends } from './helpers.js';

const wasmExports = async () => {
  const seg = await backends.wasm;
  return Object.entries(seg.host.kernels).filter(([, v]) => typeof v === 'function') as [string, Function][];
};

describe('kernel interface', () => {
  it('wasm and the twins export the same kernels, each taking one argument block', async () => {
    const wasm = new Map(await wasmExports());
    wasm.delete('heapBase');
    expect([...wasm.keys()].sort()).toEqual(Object.keys(twins).sort());
    for (const [name, f] of wasm) expect(f.length, name).toBe(1);
    for (const [name, f] of Object.entries(twins)) expect(f.length, name).toBe(2); // (heap, args)
  });

  it('src/abi.ts describes exactly the exported kernels', () => {
    expect(Object.keys(KERNELS).sort()).toEqual(Object.keys(twins).sort());
  });

  it('every argument block of src/abi.ts matches its @unmanaged class in assembly/args.ts', () => {
    const source = readFileSync(new URL('../assembly/args.ts', import.meta.url), 'utf8');
    const classes = new Map<string, string[]>();
    for (const m of source.matchAll(/@unmanaged export class (\w+) \{([^}]*)\}/g)) {
      const fields = [...m[2].matchAll(/(\w+): (usize|i32|f32);/g)].map(([, name, type]) => `${name}:${type === 'usize' ? 'ptr' : type}`);
      classes.set(m[1], fields);
    }
    const blocks = new Set(Object.values(KERNELS).map((k) => k.args));
    expect(classes.size).toBe(blocks.size);
    const declared = [...classes.values()].map((f) => f.join(' '));
    for (const fields of blocks) {
      expect(declared).toContain(Object.entries(fields).map(([name, type]) => `${name}:${type}`).join(' '));
    }
  });

  it('the scratch slots of assembly/common.ts are the count src/abi.ts sizes', () => {
    const source = readFileSync(new URL('../assembly/common.ts', import.meta.url), 'utf8');
    expect(source).toMatch(new RegExp(`export const SLOTS: usize = ${SLOTS};`));
    const named = [...source.matchAll(/export const \w+: usize = (\d+);/g)].map((m) => Number(m[1])).filter((v) => v < SLOTS);
    expect(new Set(named).size).toBe(SLOTS); // every slot named once, none twice
    // the twins keep the carried sums where the kernels do
    expect(source).toMatch(new RegExp(`export const LOSS_ACC: usize = ${LOSS_SUMS_AT / SLOT};`));
    expect(source).toMatch(/export const CLASS_SUMS: usize = SLOTS \* SLOT;/);
    expect(CLASS_SUMS_AT).toBe(SLOTS * SLOT);
  });
});
