// The demo page: trains one tiny per-pixel classifier per loss, interleaved, and draws each one's mask and
// curves as it learns. Progress is on window.demoState for tests:
//   { done, step, steps, backend, foreground, results: [{ loss, iou, miou, perClassIou, bestIou, curve, iouCurve, msPerStep, lossMsPerStep }], error }
//   (iou: foreground IoU; miou and perClassIou from seg.confusionMatrix)
import { init } from 'segloss';
import { SIZE, lossSpecs, makeFeatures, makeRun, makeScene } from './lab.js';

const params = new URLSearchParams(location.search);
const STEPS = Math.max(1, Number(params.get('steps')) || 150);
const SEED = Number(params.get('seed')) || 1;
const STEPS_PER_FRAME = 2;
const SCALE = 2;
const COLORS = { tp: [61, 220, 132], fp: [255, 84, 112], fn: [78, 168, 255] };

const state = { done: false, step: 0, steps: STEPS, backend: null, foreground: 0, results: [], error: null };
window.demoState = state;

const $ = (id) => document.getElementById(id);

function fail(error) {
  state.error = String(error?.stack ?? error);
  $('error').textContent = `Error: ${error?.message ?? error}`;
  $('status').textContent = 'stopped';
  console.error(error);
}

/** Paints a SIZE x SIZE RGBA buffer on a canvas, scaled up without smoothing. */
function paint(canvas, rgba) {
  const small = paint.small ?? (paint.small = Object.assign(document.createElement('canvas'), { width: SIZE, height: SIZE }));
  small.getContext('2d').putImageData(new ImageData(rgba, SIZE, SIZE), 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function imageRGBA(rgb, dim = 1) {
  const out = new Uint8ClampedArray(SIZE * SIZE * 4);
  for (let i = 0; i < SIZE * SIZE; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = rgb[i * 3 + c] * 255 * dim;
    out[i * 4 + 3] = 255;
  }
  return out;
}

function grayRGBA(rgb, dim) {
  const out = new Uint8ClampedArray(SIZE * SIZE * 4);
  for (let i = 0; i < SIZE * SIZE; i++) {
    const g = ((rgb[i * 3] + rgb[i * 3 + 1] + rgb[i * 3 + 2]) / 3) * 255 * dim;
    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** The prediction over a dimmed gray image: true positives, false positives and misses in color. */
function maskRGBA(backdrop, mask, labels) {
  const out = backdrop.slice();
  if (!mask) return out;
  for (let i = 0; i < labels.length; i++) {
    const kind = mask[i] && labels[i] ? 'tp' : mask[i] ? 'fp' : labels[i] ? 'fn' : null;
    if (kind) out.set(COLORS[kind], i * 4);
  }
  return out;
}

function drawCurves(canvas, run) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const pad = 4;
  ctx.fillStyle = '#12151a';
  ctx.fillRect(0, 0, w, h);
  ctx.strokeStyle = '#2f3640';
  ctx.lineWidth = 1;
  for (const level of [0.5, 1]) {
    const y = Math.round(h - pad - level * (h - 2 * pad)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(w, y);
    ctx.stroke();
  }
  ctx.fillStyle = '#6b7480';
  ctx.font = '10px system-ui, sans-serif';
  ctx.fillText('IoU 0.5', w - 40, Math.round(h - pad - 0.5 * (h - 2 * pad)) - 3);
  const xAt = (i) => pad + (i / Math.max(1, STEPS - 1)) * (w - 2 * pad);
  const line = (values, color, lo, hi) => {
    if (values.length < 1) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.75;
    ctx.beginPath();
    values.forEach((v, i) => {
      const y = h - pad - ((v - lo) / (hi - lo || 1)) * (h - 2 * pad);
      if (i === 0) ctx.moveTo(xAt(i), y);
      else ctx.lineTo(xAt(i), y);
    });
    ctx.stroke();
  };
  const finite = run.curve.filter(Number.isFinite);
  line(run.curve, 'rgb(230, 233, 238)', Math.min(...finite), Math.max(...finite));
  line(run.iouCurve, `rgb(${COLORS.tp.join(',')})`, 0, 1);
}

function panel(spec) {
  const card = document.createElement('div');
  card.className = 'card';
  card.dataset.loss = spec.name;
  card.innerHTML = `<h2></h2><div class="sub"></div>`;
  card.querySelector('h2').textContent = spec.label;
  card.querySelector('.sub').textContent = spec.options;
  const mask = Object.assign(document.createElement('canvas'), { width: SIZE * SCALE, height: SIZE * SCALE });
  const curves = Object.assign(document.createElement('canvas'), { width: SIZE * SCALE, height: 96 });
  curves.style.marginTop = '8px';
  const stats = document.createElement('div');
  stats.className = 'stats';
  card.append(mask, curves, stats);
  return { card, mask, curves, stats };
}

let generation = 0;

async function main() {
  const seg = await init({ backend: 'wasm' });
  state.backend = seg.backend;
  const scene = makeScene(SEED);
  const features = makeFeatures(scene.rgb);
  state.foreground = scene.foreground;
  const share = (100 * scene.foreground) / (SIZE * SIZE);
  $('fgshare').textContent = `${share.toFixed(1)}%`;
  $('gtsub').textContent = `${scene.foreground} object pixels of ${SIZE * SIZE} (${share.toFixed(2)}%)`;
  paint($('image'), imageRGBA(scene.rgb));
  const truth = new Uint8ClampedArray(SIZE * SIZE * 4);
  scene.labels.forEach((v, i) => truth.set(v ? [255, 255, 255, 255] : [30, 34, 41, 255], i * 4));
  paint($('truth'), truth);
  const backdrop = grayRGBA(scene.rgb, 0.35);
  const restart = $('restart');
  restart.onclick = () => start();

  function start() {
    const mine = ++generation;
    restart.disabled = true;
    state.done = false;
    state.step = 0;
    const runs = lossSpecs(scene.foreground).map((spec) => makeRun(spec, seg, scene, features));
    const panels = runs.map((run) => panel(run.spec));
    $('grid').replaceChildren(...panels.map((p) => p.card));
    const draw = () => {
      runs.forEach((run, k) => {
        const p = panels[k];
        paint(p.mask, maskRGBA(backdrop, run.mask, scene.labels));
        drawCurves(p.curves, run);
        const s = run.summary();
        const last = run.curve.at(-1);
        p.stats.innerHTML = '';
        p.stats.append(
          `step ${run.curve.length} · loss ${last === undefined ? '–' : last.toFixed(4)} · fg IoU `,
          Object.assign(document.createElement('b'), { textContent: s.iou.toFixed(3) }),
          ` · mIoU ${Number.isNaN(s.miou) ? '–' : s.miou.toFixed(3)} (background ${s.perClassIou.length ? s.perClassIou[0].toFixed(3) : '–'})`,
          document.createElement('br'),
          `${s.msPerStep.toFixed(2)} ms/step · segloss ${s.lossMsPerStep.toFixed(3)} ms`,
        );
      });
      state.results = runs.map((run) => run.summary());
      $('status').textContent = `backend ${seg.backend} · step ${state.step} / ${STEPS}${state.done ? ' · done' : ''}`;
    };
    const tick = () => {
      if (mine !== generation) return;
      try {
        const n = Math.min(STEPS_PER_FRAME, STEPS - state.step);
        for (const run of runs) for (let i = 0; i < n; i++) run.step();
        state.step += n;
        state.done = state.step >= STEPS;
        draw();
        if (state.done) restart.disabled = false;
        else setTimeout(tick, 0);
      } catch (error) {
        fail(error);
      }
    };
    draw();
    setTimeout(tick, 0);
  }
  start();
}

main().catch(fail);
