// The kernels' exports. Memory layout and every pointer are owned by src/memory.ts.
export { labelScan } from './labels';
export { softmaxIndex, softmaxDense } from './softmax';
export { sigmoidLoss } from './sigmoid';
export { regionStats, regionGrad } from './region';
export { expArray, logArray, addScaled } from './elementwise';
export { lovaszSoftmax, lovaszProbabilities, lovaszHinge } from './lovasz';

// First byte TypeScript may use, 16-aligned.
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
