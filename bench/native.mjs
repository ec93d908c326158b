// The native C contender of bench/run.mjs: bench/native/run.sh (clang; SSE4.1 and AVX2 builds of
// bench/native/kernels.c) on voc (CE, Dice) and binary (BCE, sigmoid focal), with and without gradient,
// plus the bandwidth probe.
// Returns { lines (the JSON lines of run.sh), clang } or { skipped: reason }.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { errText } from './timing.mjs';

const runSh = fileURLToPath(new URL('./native/run.sh', import.meta.url));

export function runNative(reps, log = () => {}) {
  try {
    execFileSync('sh', ['-c', 'command -v clang'], { stdio: 'ignore' });
  } catch {
    return { skipped: 'clang not found' };
  }
  try {
    const outText = execFileSync('bash', [runSh, '--grad', 'both', '--reps', String(reps), 'voc', 'binary', 'bw'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = outText.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    if (lines.length === 1 && lines[0].skipped) return { skipped: lines[0].skipped };
    let clang = '';
    try { clang = execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0].trim(); } catch { /* unknown */ }
    log(`  native: ${lines.length} results (${clang})`);
    return { lines, clang };
  } catch (e) {
    return { skipped: `native run failed: ${errText(e)}` };
  }
}
