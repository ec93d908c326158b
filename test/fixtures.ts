// Golden cases written by test/fixtures/gen.py from PyTorch and transcriptions of torchvision, MONAI,
// smp and the seed's numpy code (see each case's `reference`).
import { readFileSync } from 'node:fs';

export interface FixtureCase {
  name: string;
  fn: 'crossEntropy' | 'binaryCrossEntropy' | 'focal' | 'dice' | 'iou' | 'tversky' | 'combined';
  reference: string;
  shape: number[];
  input: number[];
  target: { dtype: 'int32' | 'uint8' | 'uint16' | 'float32'; data: number[] };
  options: Record<string, unknown>;
  loss: number | number[];
  terms?: number[];
  grad: number[];
  tolerance: { lossRel: number; lossAbs: number; gradAbs: number; gradRel: number };
}

export const FAMILIES = ['crossEntropy', 'binaryCrossEntropy', 'focal', 'region', 'combined'];

export function loadFixtures(family: string): FixtureCase[] {
  const text = readFileSync(new URL(`./fixtures/${family}.json`, import.meta.url), 'utf8');
  return JSON.parse(text).cases;
}

const TYPES = { int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array };

export function targetOf(c: FixtureCase): Int32Array | Uint8Array | Uint16Array | Float32Array {
  return TYPES[c.target.dtype].from(c.target.data);
}
