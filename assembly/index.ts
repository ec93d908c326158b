// The kernels' exports: each takes one pointer to its argument block (args.ts; src/abi.ts lists them).
// Memory layout and every pointer are owned by TypeScript (src/memory.ts).
export { labelScan } from './labels';
export { crossEntropyIndex, focalSoftmax, crossEntropyIndexWithRegion, crossEntropyDense } from './softmax';
export { bceLogits, bceProbabilities, focalSigmoid } from './sigmoid';
export {
  regionStatsSoftmax, regionStatsSigmoid, regionStatsProbabilities,
  regionGradSoftmax, regionGradSigmoid, regionGradProbabilities, regionGradSharedSoftmax,
} from './region';
export { expArray, logArray, addScaled, firstOutside } from './elementwise';
export { confusionScores, confusionLabels } from './metrics';
export { lovaszSoftmax, lovaszProbabilities, lovaszHinge } from './lovasz';

// First byte TypeScript may use, 16-aligned.
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}
