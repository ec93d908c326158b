// Checks that the native kernels (bench/native/kernels.c) agree with the plain-JS peer on the same
// deterministic inputs (generator in bench/random.mjs): loss, sum |grad| and sum grad*x, rel < 1e-5.
//   node bench/native/verify.mjs [workload ...]     (default: small voc)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeCase } from '../random.mjs';
import { workload } from '../workloads.mjs';
import * as pj from '../peers/plainjs.mjs';

const TOL = 1e-5;
const runSh = fileURLToPath(new URL('./run.sh', import.meta.url));
const names = process.argv.slice(2).length ? process.argv.slice(2) : ['small', 'voc'];
const lines = execFileSync('bash', [runSh, '--reps', '1', '--warmup', '0', ...names], { encoding: 'utf8' })
  .trim().split('\n').map((l) => JSON.parse(l));
if (lines.length === 1 && lines[0].skipped) { console.log(JSON.stringify(lines[0])); process.exit(0); }

let failures = 0;
const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
for (const name of names) {
  const w = workload(name);
  const { x, labels } = makeCase(w.N, w.C, w.P, 1);
  const js = {
    ce: pj.crossEntropy(x, labels, w.N, w.C, w.P, { grad: true, ignoreIndex: 255 }),
    dice: pj.dice(x, labels, w.N, w.C, w.P, { grad: true }),
  };
  for (const kernel of ['ce', 'dice']) {
    const { loss, grad } = js[kernel];
    let l1 = 0, dot = 0;
    for (let i = 0; i < grad.length; i++) { l1 += Math.abs(grad[i]); dot += grad[i] * x[i]; }
    for (const r of lines.filter((l) => l.kernel === kernel && l.workload === name && l.grad)) {
      const e = [rel(r.loss, loss), rel(r.grad_l1, l1), rel(r.grad_dot_x, dot)];
      const ok = e.every((v) => v < TOL);
      if (!ok) failures++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${kernel.padEnd(4)} ${r.isa.padEnd(4)} ${name.padEnd(5)} loss ${r.loss.toPrecision(9)} vs js ${loss.toPrecision(9)}  rel loss ${e[0].toExponential(2)}  |g| ${e[1].toExponential(2)}  g.x ${e[2].toExponential(2)}`);
    }
  }
}
console.log(failures ? `${failures} FAILURE(S)` : 'native agrees with plain JS');
process.exitCode = failures ? 1 : 0;
