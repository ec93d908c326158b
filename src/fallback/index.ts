// The TypeScript twins of the kernels, one per wasm export, each `(heap, args) => void` over the same
// argument blocks (src/abi.ts). The Kernels interface is derived from this list.
export { labelScan } from './labels.js';
export { crossEntropyIndex, focalSoftmax, crossEntropyIndexWithRegion, crossEntropyDense } from './softmax.js';
export { bceLogits, bceProbabilities, focalSigmoid } from './sigmoid.js';
export {
  regionStatsSoftmax, regionStatsSigmoid, regionStatsProbabilities,
  regionGradSoftmax, regionGradSigmoid, regionGradProbabilities, regionGradSharedSoftmax,
} from './region.js';
export { expArray, logArray, addScaled, firstOutside } from './math.js';
export { confusionScores, confusionLabels } from './metrics.js';
export { lovaszSoftmax, lovaszProbabilities, lovaszHinge } from './lovasz.js';
