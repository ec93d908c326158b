// Golden cases written by test/fixtures/gen.py from PyTorch and transcriptions of torchvision, MONAI,
// smp and the seed's code (see each case's `reference`).
import { readFileSync } from 'node:fs';
import type { LossName } from '../src/index.js';
import { FAMILIES } from './conformance/check.mjs';

export interface FixtureCase {
  name: string;
  fn: LossName | 'combined' | 'lovaszSoftmax' | 'lovaszHinge';
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

export function loadFixtures(): FixtureCase[] {
  return FAMILIES.flatMap((family) => {
    const text = readFileSync(new URL(`./fixtures/${family}.json`, import.meta.url), 'utf8');
    return JSON.parse(text).cases as FixtureCase[];
  });
}
