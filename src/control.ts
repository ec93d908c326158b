// A pool worker's control slot in the shared memory (src/pool.ts drives it, src/worker.ts serves it):
// SLOT_INTS i32 words, of which these indices.
export const SLOT_INTS = 16; // 64 bytes a worker
export const SEQ = 0; // bumped by the caller for each job
export const DONE = 1; // the job's seq once run (-seq if it threw)
export const KERNEL = 2; // the kernel's index in the names list (-1: end)
export const ARGS = 3; // its argument block
export const CLAIM = 4; // the worker's claim on the job (seq), or the caller's take-back (-1)
export const LATE = 5; // a job the worker found taken back
