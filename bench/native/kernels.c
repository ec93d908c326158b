// Native reference kernels for segloss benchmarks (clang -O3, no FMA contraction).
//
//   ce   : softmax cross entropy, NCHW float32 logits, uint8 index labels, mean over non-ignored pixels,
//          value + gradient (or value only), exactly one exp per logit and one vector log per pixel.
//   dice : softmax Dice, unsquared, per sample, smooth 1 in numerator and denominator
//          (score = (2I + 1) / (Sp + Sg + 1), loss = 1 - mean over (n, c)), value + gradient.
//   bce  : binary cross entropy from logits, dense 0/1 float32 targets, mean, value + gradient, with
//          segloss's algorithm (assembly/sigmoid.ts): one exp, one log (logf scheme) and two divisions.
//   focal: sigmoid focal loss (torchvision, gamma 2, alpha 0.25), same building blocks.
//          bce and focal run on the workload `binary` (N4 C1 512x512: logits, then the mask, from the
//          generator below: y = u < 0.5), the others on index workloads.
//   bw   : memory bandwidth probe over 256 MB: read-only sum and copy (memcpy); GB/s.
//
// SIMD width is the macro W: W=4 -> SSE4.1 (-msse4.1), W=8 -> AVX2 (-mavx2 -mfma, but -ffp-contract=off
// so no FMA is formed). exp(x) for x <= 0 (max-shifted logits) is the polynomial used by the segloss
// kernels: n = round(x log2e) via the magic bias 0x1.8000FEp23 (12583039.0f), 2^n from the float's bits
// << 23, r = (x - n*0.693359375) - n*(-2.12194440e-4), p = degree-5 Cephes polynomial (Horner),
// e^r = p*r*r + r + 1, result * 2^n, flushed to 0 for x < -87.33654475.
//
// Inputs come from the generator documented in bench/random.mjs (same bits as the JS peers):
//   xorshift32 state s (seed 1): s ^= s << 13; s ^= s >> 17; s ^= s << 5; u = s / 2^32;
//   logits (NCHW order) x = (float)((u - 0.5) * 8), then labels t = floor(u * C).
//
// Output: one JSON object per line, e.g.
//   {"kernel":"ce","isa":"sse","workload":"voc","N":8,"C":21,"P":65536,"grad":true,"reps":9,
//    "median_ms":..,"min_ms":..,"max_ms":..,"loss":..,"grad_l1":..}
#define _POSIX_C_SOURCE 199309L
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef W
#define W 4
#endif

#if W == 8
#ifndef __AVX2__
#error "W=8 needs -mavx2"
#endif
#define ISA "avx2"
typedef __m256 vf;
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps(p, v)
#define VSET1(a) _mm256_set1_ps(a)
#define VZERO() _mm256_setzero_ps()
#define VADD(a, b) _mm256_add_ps(a, b)
#define VSUB(a, b) _mm256_sub_ps(a, b)
#define VMUL(a, b) _mm256_mul_ps(a, b)
#define VDIV(a, b) _mm256_div_ps(a, b)
#define VMAX(a, b) _mm256_max_ps(a, b)
#define VLT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define VANDNOT(m, v) _mm256_andnot_ps(m, v) /* ~m & v */
#define VPOW2(n) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(n), 23))
typedef __m256i vi;
#define VCASTI(v) _mm256_castps_si256(v)
#define VCASTF(v) _mm256_castsi256_ps(v)
#define VISET1(a) _mm256_set1_epi32(a)
#define VISRL(v, k) _mm256_srli_epi32(v, k)
#define VISUB(a, b) _mm256_sub_epi32(a, b)
#define VIAND(a, b) _mm256_and_si256(a, b)
#define VIOR(a, b) _mm256_or_si256(a, b)
#define VI2F(v) _mm256_cvtepi32_ps(v)
#define VAND(a, b) _mm256_and_ps(a, b)
#define VOR(a, b) _mm256_or_ps(a, b)
#define VXOR(a, b) _mm256_xor_ps(a, b)
#define VGE(a, b) _mm256_cmp_ps(a, b, _CMP_GE_OQ)
#define VGT(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define VEQ(a, b) _mm256_cmp_ps(a, b, _CMP_EQ_OQ)
#define VMIN(a, b) _mm256_min_ps(a, b)
#define VSEL(m, a, b) _mm256_blendv_ps(b, a, m) /* m ? a : b */
#define VIADD(a, b) _mm256_add_epi32(a, b)
#define VISRA(v, k) _mm256_srai_epi32(v, k)
#define VILT(a, b) _mm256_cmpgt_epi32(b, a)
static inline void vacc(__m256d *lo, __m256d *hi, vf v) {
  *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}
typedef __m256d vd;
#define VDZERO() _mm256_setzero_pd()
static inline double vdsum(vd lo, vd hi) {
  double a[4], b[4];
  _mm256_storeu_pd(a, lo);
  _mm256_storeu_pd(b, hi);
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((b[0] + b[1]) + (b[2] + b[3]));
}
static inline double vhsum(vf v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return (((double)t[0] + t[4]) + ((double)t[2] + t[6])) + (((double)t[1] + t[5]) + ((double)t[3] + t[7]));
}
#elif W == 4
#ifndef __SSE4_1__
#error "W=4 needs -msse4.1"
#endif
#define ISA "sse"
typedef __m128 vf;
#define VLOAD(p) _mm_loadu_ps(p)
#define VSTORE(p, v) _mm_storeu_ps(p, v)
#define VSET1(a) _mm_set1_ps(a)
#define VZERO() _mm_setzero_ps()
#define VADD(a, b) _mm_add_ps(a, b)
#define VSUB(a, b) _mm_sub_ps(a, b)
#define VMUL(a, b) _mm_mul_ps(a, b)
#define VDIV(a, b) _mm_div_ps(a, b)
#define VMAX(a, b) _mm_max_ps(a, b)
#define VLT(a, b) _mm_cmplt_ps(a, b)
#define VANDNOT(m, v) _mm_andnot_ps(m, v)
#define VPOW2(n) _mm_castsi128_ps(_mm_slli_epi32(_mm_castps_si128(n), 23))
typedef __m128i vi;
#define VCASTI(v) _mm_castps_si128(v)
#define VCASTF(v) _mm_castsi128_ps(v)
#define VISET1(a) _mm_set1_epi32(a)
#define VISRL(v, k) _mm_srli_epi32(v, k)
#define VISUB(a, b) _mm_sub_epi32(a, b)
#define VIAND(a, b) _mm_and_si128(a, b)
#define VIOR(a, b) _mm_or_si128(a, b)
#define VI2F(v) _mm_cvtepi32_ps(v)
#define VAND(a, b) _mm_and_ps(a, b)
#define VOR(a, b) _mm_or_ps(a, b)
#define VXOR(a, b) _mm_xor_ps(a, b)
#define VGE(a, b) _mm_cmpge_ps(a, b)
#define VGT(a, b) _mm_cmpgt_ps(a, b)
#define VEQ(a, b) _mm_cmpeq_ps(a, b)
#define VMIN(a, b) _mm_min_ps(a, b)
#define VSEL(m, a, b) _mm_blendv_ps(b, a, m) /* m ? a : b */
#define VIADD(a, b) _mm_add_epi32(a, b)
#define VISRA(v, k) _mm_srai_epi32(v, k)
#define VILT(a, b) _mm_cmplt_epi32(a, b)
// the four f64 lane sums of segloss (lo: lanes 0, 1; hi: lanes 2, 3)
static inline void vacc(__m128d *lo, __m128d *hi, vf v) {
  *lo = _mm_add_pd(*lo, _mm_cvtps_pd(v));
  *hi = _mm_add_pd(*hi, _mm_cvtps_pd(_mm_movehl_ps(v, v)));
}
typedef __m128d vd;
#define VDZERO() _mm_setzero_pd()
static inline double vdsum(vd lo, vd hi) {
  double a[2], b[2];
  _mm_storeu_pd(a, lo);
  _mm_storeu_pd(b, hi);
  return (a[0] + a[1]) + (b[0] + b[1]);
}
static inline double vhsum(vf v) {
  float t[4];
  _mm_storeu_ps(t, v);
  return ((double)t[0] + t[2]) + ((double)t[1] + t[3]);
}
#else
#error "W must be 4 or 8"
#endif

#define TILE 512 /* pixels per tile; multiple of W */

// ------------------------------------------------------------------------------------------ exp
#define EXP_LOG2E 1.44269504088896341f
#define EXP_MAGIC 12583039.0f /* 0x1.8000FEp23 = 1.5 * 2^23 + 127 */
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO -2.12194440e-4f
#define EXP_P0 1.9875691500e-4f
#define EXP_P1 1.3981999507e-3f
#define EXP_P2 8.3334519073e-3f
#define EXP_P3 4.1665795894e-2f
#define EXP_P4 1.6666665459e-1f
#define EXP_P5 5.0000001201e-1f
#define EXP_CUTOFF -87.33654475f

static inline vf vexp(vf x) {
  vf nb = VADD(VMUL(x, VSET1(EXP_LOG2E)), VSET1(EXP_MAGIC)); // n + bias, rounded to nearest even
  vf s = VPOW2(nb);                                          // 2^n
  vf n = VSUB(nb, VSET1(EXP_MAGIC));
  vf r = VSUB(VSUB(x, VMUL(n, VSET1(EXP_LN2_HI))), VMUL(n, VSET1(EXP_LN2_LO)));
  vf p = VSET1(EXP_P0);
  p = VADD(VMUL(p, r), VSET1(EXP_P1));
  p = VADD(VMUL(p, r), VSET1(EXP_P2));
  p = VADD(VMUL(p, r), VSET1(EXP_P3));
  p = VADD(VMUL(p, r), VSET1(EXP_P4));
  p = VADD(VMUL(p, r), VSET1(EXP_P5));
  vf e = VADD(VADD(VMUL(VMUL(p, r), r), r), VSET1(1.0f));
  return VANDNOT(VLT(x, VSET1(EXP_CUTOFF)), VMUL(e, s));
}

// Scalar twin for tails: the same operations in the same order (bit-identical to a lane of vexp).
static inline float sexp(float x) {
  if (x < EXP_CUTOFF) return 0.0f;
  float nb = x * EXP_LOG2E + EXP_MAGIC;
  uint32_t bits;
  memcpy(&bits, &nb, 4);
  bits <<= 23;
  float s;
  memcpy(&s, &bits, 4);
  float n = nb - EXP_MAGIC;
  float r = (x - n * EXP_LN2_HI) - n * EXP_LN2_LO;
  float p = EXP_P0;
  p = p * r + EXP_P1;
  p = p * r + EXP_P2;
  p = p * r + EXP_P3;
  p = p * r + EXP_P4;
  p = p * r + EXP_P5;
  float e = ((p * r) * r + r) + 1.0f;
  return e * s;
}

// ------------------------------------------------------------------------------------------ log
// Natural log for normal positive floats (here: softmax denominators in [1, C]), Cephes logf scheme:
// x = 2^e * m with m in [sqrt(1/2), sqrt(2)), log(1 + f) by a degree-8 polynomial, e*ln2 split hi/lo.
// Used once per pixel for the log-sum-exp (about 1e-7 relative accuracy).
static inline vf vlog(vf x) {
  vi xi = VCASTI(x);
  vf e = VI2F(VISUB(VISRL(xi, 23), VISET1(126)));                    // exponent for m in [0.5, 1)
  vf m = VCASTF(VIOR(VIAND(xi, VISET1(0x007FFFFF)), VISET1(0x3F000000)));
  vf small = VLT(m, VSET1(0.707106781186547524f));                   // m < sqrt(1/2): m *= 2, e -= 1
  e = VSUB(e, VAND(small, VSET1(1.0f)));
  vf f = VSUB(VADD(m, VAND(small, m)), VSET1(1.0f));
  vf z = VMUL(f, f);
  vf y = VSET1(7.0376836292e-2f);
  y = VADD(VMUL(y, f), VSET1(-1.1514610310e-1f));
  y = VADD(VMUL(y, f), VSET1(1.1676998740e-1f));
  y = VADD(VMUL(y, f), VSET1(-1.2420140846e-1f));
  y = VADD(VMUL(y, f), VSET1(1.4249322787e-1f));
  y = VADD(VMUL(y, f), VSET1(-1.6668057665e-1f));
  y = VADD(VMUL(y, f), VSET1(2.0000714765e-1f));
  y = VADD(VMUL(y, f), VSET1(-2.4999993993e-1f));
  y = VADD(VMUL(y, f), VSET1(3.3333331174e-1f));
  y = VMUL(VMUL(y, f), z);
  y = VADD(y, VMUL(e, VSET1(-2.12194440e-4f)));
  y = VSUB(y, VMUL(z, VSET1(0.5f)));
  return VADD(VADD(f, y), VMUL(e, VSET1(0.693359375f)));
}

// ------------------------------------------------------------------------------------------ tiles
static float tm[TILE] __attribute__((aligned(64)));
static float ts[TILE] __attribute__((aligned(64)));
static float tq[TILE] __attribute__((aligned(64)));

// m = max_c x, s = sum_c exp(x - m), exp written to e (stride P, same layout as x) for the T pixels at x0.
static void tile_max_expsum(const float *x0, float *e0, int C, int P, int T) {
  const int Tv = T - T % W;
  for (int i = 0; i < Tv; i += W) VSTORE(tm + i, VLOAD(x0 + i));
  for (int i = Tv; i < T; i++) tm[i] = x0[i];
  for (int c = 1; c < C; c++) {
    const float *xc = x0 + (size_t)c * P;
    for (int i = 0; i < Tv; i += W) VSTORE(tm + i, VMAX(VLOAD(tm + i), VLOAD(xc + i)));
    for (int i = Tv; i < T; i++) tm[i] = xc[i] > tm[i] ? xc[i] : tm[i];
  }
  for (int i = 0; i < T; i++) ts[i] = 0.0f;
  for (int c = 0; c < C; c++) {
    const float *xc = x0 + (size_t)c * P;
    float *ec = e0 + (size_t)c * P;
    for (int i = 0; i < Tv; i += W) {
      vf e = vexp(VSUB(VLOAD(xc + i), VLOAD(tm + i)));
      VSTORE(ec + i, e);
      VSTORE(ts + i, VADD(VLOAD(ts + i), e));
    }
    for (int i = Tv; i < T; i++) {
      float e = sexp(xc[i] - tm[i]);
      ec[i] = e;
      ts[i] += e;
    }
  }
}

// Forward-only variant: no exp stored.
static void tile_max_expsum_nostore(const float *x0, int C, int P, int T) {
  const int Tv = T - T % W;
  for (int i = 0; i < Tv; i += W) VSTORE(tm + i, VLOAD(x0 + i));
  for (int i = Tv; i < T; i++) tm[i] = x0[i];
  for (int c = 1; c < C; c++) {
    const float *xc = x0 + (size_t)c * P;
    for (int i = 0; i < Tv; i += W) VSTORE(tm + i, VMAX(VLOAD(tm + i), VLOAD(xc + i)));
    for (int i = Tv; i < T; i++) tm[i] = xc[i] > tm[i] ? xc[i] : tm[i];
  }
  for (int i = 0; i < T; i++) ts[i] = 0.0f;
  for (int c = 0; c < C; c++) {
    const float *xc = x0 + (size_t)c * P;
    for (int i = 0; i < Tv; i += W) VSTORE(ts + i, VADD(VLOAD(ts + i), vexp(VSUB(VLOAD(xc + i), VLOAD(tm + i)))));
    for (int i = Tv; i < T; i++) ts[i] += sexp(xc[i] - tm[i]);
  }
}

static int count_valid(const uint8_t *lab, size_t n, int C, int ignore) {
  size_t cnt = 0;
  for (size_t i = 0; i < n; i++) {
    if (lab[i] < C) cnt++;
    else if (lab[i] != ignore) {
      fprintf(stderr, "label %d at %zu out of bounds [0, %d)\n", lab[i], i, C);
      exit(2);
    }
  }
  return (int)cnt;
}

// ------------------------------------------------------------------------------------------ CE
// Returns the mean loss; writes d(loss)/dx into g when g != NULL.
static double ce_kernel(const float *x, const uint8_t *lab, int N, int C, int P, int ignore, float *g) {
  const int cnt = count_valid(lab, (size_t)N * P, C, ignore);
  if (cnt == 0) {
    if (g) memset(g, 0, sizeof(float) * (size_t)N * C * P);
    return 0.0;
  }
  const float scale = 1.0f / (float)cnt;
  double loss = 0.0;
  for (int n = 0; n < N; n++) {
    const float *xn = x + (size_t)n * C * P;
    float *gn = g ? g + (size_t)n * C * P : NULL;
    const uint8_t *ln = lab + (size_t)n * P;
    for (int p0 = 0; p0 < P; p0 += TILE) {
      const int T = P - p0 < TILE ? P - p0 : TILE;
      if (gn) tile_max_expsum(xn + p0, gn + p0, C, P, T);
      else tile_max_expsum_nostore(xn + p0, C, P, T);
      // per pixel: tq = m + log(s) (the log-sum-exp), ts = scale / s; the tail uses libm log
      const int Tv0 = T - T % W;
      for (int i = 0; i < Tv0; i += W) {
        vf sv = VLOAD(ts + i);
        VSTORE(tq + i, VADD(VLOAD(tm + i), vlog(sv)));
        VSTORE(ts + i, VDIV(VSET1(scale), sv));
      }
      for (int i = Tv0; i < T; i++) { tq[i] = tm[i] + (float)log((double)ts[i]); ts[i] = scale / ts[i]; }
      for (int i = 0; i < T; i++) {
        const int t = ln[p0 + i];
        if (t < C) loss += (double)tq[i] - (double)xn[(size_t)t * P + p0 + i];
        else ts[i] = 0.0f; // ignored pixel: zero gradient
      }
      if (gn) {
        const int Tv = T - T % W;
        for (int c = 0; c < C; c++) {
          float *gc = gn + (size_t)c * P + p0;
          for (int i = 0; i < Tv; i += W) VSTORE(gc + i, VMUL(VLOAD(gc + i), VLOAD(ts + i)));
          for (int i = Tv; i < T; i++) gc[i] *= ts[i];
        }
        for (int i = 0; i < T; i++) {
          const int t = ln[p0 + i];
          if (t < C) gn[(size_t)t * P + p0 + i] -= scale;
        }
      }
    }
  }
  return loss / cnt;
}

// ------------------------------------------------------------------------------------------ Dice
// Unsquared softmax Dice, per sample, smooth 1. Pass 1 stores p in g and accumulates I, Sp, Sg per (n, c);
// pass 2 turns p into the gradient in place. Without g, p lives in a tile scratch.
static float *dice_scratch = NULL;

static double dice_kernel(const float *x, const uint8_t *lab, int N, int C, int P, int ignore, float *g) {
  count_valid(lab, (size_t)N * P, C, ignore);
  const int NC = N * C;
  double *I = calloc(NC, sizeof(double)), *Sp = calloc(NC, sizeof(double)), *Sg = calloc(NC, sizeof(double));
  float *ka = malloc(NC * sizeof(float)), *kb = malloc(NC * sizeof(float));
  for (int n = 0; n < N; n++) {
    const float *xn = x + (size_t)n * C * P;
    const uint8_t *ln = lab + (size_t)n * P;
    for (int p0 = 0; p0 < P; p0 += TILE) {
      const int T = P - p0 < TILE ? P - p0 : TILE, Tv = T - T % W;
      float *e0;
      size_t stride;
      if (g) { e0 = g + (size_t)n * C * P + p0; stride = P; }
      else { e0 = dice_scratch; stride = TILE; }
      if (g) tile_max_expsum(xn + p0, e0, C, P, T);
      else {
        // same as tile_max_expsum but with the scratch stride
        for (int i = 0; i < Tv; i += W) VSTORE(tm + i, VLOAD(xn + p0 + i));
        for (int i = Tv; i < T; i++) tm[i] = xn[p0 + i];
        for (int c = 1; c < C; c++) {
          const float *xc = xn + (size_t)c * P + p0;
          for (int i = 0; i < Tv; i += W) VSTORE(tm + i, VMAX(VLOAD(tm + i), VLOAD(xc + i)));
          for (int i = Tv; i < T; i++) tm[i] = xc[i] > tm[i] ? xc[i] : tm[i];
        }
        for (int i = 0; i < T; i++) ts[i] = 0.0f;
        for (int c = 0; c < C; c++) {
          const float *xc = xn + (size_t)c * P + p0;
          float *ec = e0 + (size_t)c * stride;
          for (int i = 0; i < Tv; i += W) {
            vf e = vexp(VSUB(VLOAD(xc + i), VLOAD(tm + i)));
            VSTORE(ec + i, e);
            VSTORE(ts + i, VADD(VLOAD(ts + i), e));
          }
          for (int i = Tv; i < T; i++) { float e = sexp(xc[i] - tm[i]); ec[i] = e; ts[i] += e; }
        }
      }
      for (int i = 0; i < Tv; i += W) VSTORE(ts + i, VDIV(VSET1(1.0f), VLOAD(ts + i)));
      for (int i = Tv; i < T; i++) ts[i] = 1.0f / ts[i];
      for (int i = 0; i < T; i++)
        if (ln[p0 + i] >= C) ts[i] = 0.0f; // ignored pixel: p = 0, drops out of sums and gradient
      for (int c = 0; c < C; c++) {
        float *ec = e0 + (size_t)c * stride;
        vf acc = VZERO();
        for (int i = 0; i < Tv; i += W) {
          vf p = VMUL(VLOAD(ec + i), VLOAD(ts + i));
          VSTORE(ec + i, p);
          acc = VADD(acc, p);
        }
        double a = vhsum(acc);
        for (int i = Tv; i < T; i++) { float p = ec[i] * ts[i]; ec[i] = p; a += p; }
        Sp[n * C + c] += a;
      }
      for (int i = 0; i < T; i++) {
        const int t = ln[p0 + i];
        if (t < C) { I[n * C + t] += e0[(size_t)t * stride + i]; Sg[n * C + t] += 1.0; }
      }
    }
  }
  double sum = 0.0;
  for (int k = 0; k < NC; k++) {
    const double num = 2.0 * I[k] + 1.0, den = Sp[k] + Sg[k] + 1.0;
    sum += num / den;
    ka[k] = (float)(-(2.0 / den) / NC);
    kb[k] = (float)((num / (den * den)) / NC);
  }
  const double loss = 1.0 - sum / NC;
  if (g) {
    // grad_c = p_c (kb_c + ka_c [c = t] - d),  d = sum_k p_k kb_k + p_t ka_t
    for (int n = 0; n < N; n++) {
      float *gn = g + (size_t)n * C * P;
      const uint8_t *ln = lab + (size_t)n * P;
      const float *kan = ka + n * C, *kbn = kb + n * C;
      for (int p0 = 0; p0 < P; p0 += TILE) {
        const int T = P - p0 < TILE ? P - p0 : TILE, Tv = T - T % W;
        for (int i = 0; i < T; i++) {
          const int t = ln[p0 + i];
          if (t < C) { float pt = gn[(size_t)t * P + p0 + i]; tq[i] = pt; ts[i] = kan[t] * pt; }
          else { tq[i] = 0.0f; ts[i] = 0.0f; }
        }
        for (int c = 0; c < C; c++) {
          const float *gc = gn + (size_t)c * P + p0;
          const vf b = VSET1(kbn[c]);
          for (int i = 0; i < Tv; i += W) VSTORE(ts + i, VADD(VLOAD(ts + i), VMUL(b, VLOAD(gc + i))));
          for (int i = Tv; i < T; i++) ts[i] += kbn[c] * gc[i];
        }
        for (int c = 0; c < C; c++) {
          float *gc = gn + (size_t)c * P + p0;
          const vf b = VSET1(kbn[c]);
          for (int i = 0; i < Tv; i += W) { vf p = VLOAD(gc + i); VSTORE(gc + i, VMUL(p, VSUB(b, VLOAD(ts + i)))); }
          for (int i = Tv; i < T; i++) gc[i] = gc[i] * (kbn[c] - ts[i]);
        }
        for (int i = 0; i < T; i++) {
          const int t = ln[p0 + i];
          if (t < C) gn[(size_t)t * P + p0 + i] += tq[i] * kan[t];
        }
      }
    }
  }
  free(I); free(Sp); free(Sg); free(ka); free(kb);
  return loss;
}


// ------------------------------------------------------------------------------------------ BCE, focal
// segloss's log (assembly/math.ts log4, the musl/FreeBSD logf scheme) for u = 1 + e in [1, 2]: no
// subnormal, zero, infinity or negative input reaches it, so only the arithmetic remains.
static inline vf vlog12(vf u) {
  vi ix = VIADD(VCASTI(u), VISET1(0x3f800000 - 0x3f3504f3));
  vf dk = VI2F(VISUB(VISRA(ix, 23), VISET1(0x7f)));
  vf f = VSUB(VCASTF(VIADD(VIAND(ix, VISET1(0x007fffff)), VISET1(0x3f3504f3))), VSET1(1.0f));
  vf s = VDIV(f, VADD(VSET1(2.0f), f));
  vf z = VMUL(s, s);
  vf w = VMUL(z, z);
  vf t1 = VMUL(w, VADD(VSET1(0.40000972152f), VMUL(w, VSET1(0.24279078841f))));
  vf t2 = VMUL(z, VADD(VSET1(0.66666662693f), VMUL(w, VSET1(0.28498786688f))));
  vf hfsq = VMUL(VMUL(VSET1(0.5f), f), f);
  vf r = VADD(VMUL(s, VADD(hfsq, VADD(t2, t1))), VMUL(dk, VSET1(9.0580006145e-6f)));
  return VADD(VADD(VSUB(r, hfsq), f), VMUL(dk, VSET1(0.69313812256f)));
}

// Binary cross entropy from logits, dense 0/1 targets y, NCHW, per-class pos_weight and weight, sum
// reduction scaled by `scale`; segloss's algorithm (assembly/sigmoid.ts) with its exp and log:
// e = exp(-|x|), u = 1 + e, r = 1 / u, softplus = log(u) + (e - (u - 1)) * r + max(-x, 0),
// p = x >= 0 ? r : e r, loss = w ((1 - y) x + lift softplus), grad = w (lift p - pw y) scale,
// lift = 1 + (pw - 1) y. Focal (gamma 2, alpha 0.25, torchvision): see focal_group.
static inline vf bce_group(vf x, vf y, vf pw, vf wc, vf scale, vf *g) {
  const vf one = VSET1(1.0f), zero = VZERO();
  vf negabs = VOR(x, VSET1(-0.0f));
  vf e = vexp(negabs);
  vf u = VADD(one, e);
  vf r = VDIV(one, u);
  vf softplus = VADD(VADD(vlog12(u), VMUL(VSUB(e, VSUB(u, one)), r)), VMAX(VSUB(zero, x), zero));
  vf p = VSEL(VGE(x, zero), r, VMUL(e, r));
  vf noty = VSUB(one, y);
  vf lift = VADD(one, VMUL(VSUB(pw, one), y));
  *g = VMUL(VMUL(wc, VSUB(VMUL(lift, p), VMUL(pw, y))), scale);
  return VMUL(wc, VADD(VMUL(noty, x), VMUL(lift, softplus)));
}

static inline vf focal_group(vf x, vf y, vf scale, vf *g) {
  const vf one = VSET1(1.0f), zero = VZERO(), gamma = VSET1(2.0f), alpha = VSET1(0.25f), beta = VSET1(0.75f);
  vf e = vexp(VOR(x, VSET1(-0.0f)));
  vf u = VADD(one, e);
  vf r = VDIV(one, u);
  vf softplus = VADD(VADD(vlog12(u), VMUL(VSUB(e, VSUB(u, one)), r)), VMAX(VSUB(zero, x), zero));
  vf pos = VGE(x, zero);
  vf er = VMUL(e, r);
  vf p = VSEL(pos, r, er), q = VSEL(pos, er, r);
  vf noty = VSUB(one, y);
  vf ce = VADD(VMUL(noty, x), softplus);
  vf rest = VADD(VMUL(y, q), VMUL(noty, p));
  vf mod = VMUL(rest, rest); // rest^gamma, gamma = 2 (segloss: exp(gamma log rest))
  vf slope = VMUL(VMUL(VMUL(gamma, VDIV(ce, rest)), mod), VMUL(p, q));
  slope = VAND(VMUL(slope, VSUB(one, VADD(y, y))), VGT(rest, zero));
  vf at = VADD(VMUL(alpha, y), VMUL(beta, noty));
  *g = VMUL(VMUL(at, VADD(VMUL(VSUB(p, y), mod), slope)), scale);
  return VMUL(at, VMUL(ce, mod));
}

// Mean over all elements; C = 1 in the benchmark but the class loop is kept (pw, w per class).
static double sigmoid_kernel(int focal, const float *x, const float *y, int N, int C, int P, float *g) {
  const size_t total = (size_t)N * C * P;
  const float scale = 1.0f / (float)total;
  vd lo = VDZERO(), hi = VDZERO();
  double tail = 0.0;
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++) {
      const size_t row = ((size_t)n * C + c) * P;
      const vf pw = VSET1(1.0f), wc = VSET1(1.0f), vs = VSET1(scale);
      const int Pv = P - P % W;
      for (int i = 0; i < Pv; i += W) {
        vf gv;
        vf l = focal ? focal_group(VLOAD(x + row + i), VLOAD(y + row + i), vs, &gv)
                     : bce_group(VLOAD(x + row + i), VLOAD(y + row + i), pw, wc, vs, &gv);
        if (g) VSTORE(g + row + i, gv);
        vacc(&lo, &hi, l);
      }
      for (int i = Pv; i < P; i++) { // scalar tail through a padded vector
        float xb[W] = {0}, yb[W] = {0}, gb[W];
        xb[0] = x[row + i]; yb[0] = y[row + i];
        vf gv;
        vf l = focal ? focal_group(VLOAD(xb), VLOAD(yb), vs, &gv) : bce_group(VLOAD(xb), VLOAD(yb), pw, wc, vs, &gv);
        VSTORE(gb, gv);
        float lb[W];
        VSTORE(lb, l);
        if (g) g[row + i] = gb[0];
        tail += lb[0];
      }
    }
  return (vdsum(lo, hi) + tail) / (double)total;
}

// ------------------------------------------------------------------------------------------ harness
static double now_ms(void) {
  struct timespec ts_;
  clock_gettime(CLOCK_MONOTONIC, &ts_);
  return ts_.tv_sec * 1e3 + ts_.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct { double median, min, max; } stats_t;
static stats_t summarize(double *t, int r) {
  qsort(t, r, sizeof(double), cmp_double);
  stats_t s = { r % 2 ? t[r / 2] : 0.5 * (t[r / 2 - 1] + t[r / 2]), t[0], t[r - 1] };
  return s;
}

static uint32_t rng_state;
static double rng_u(void) {
  uint32_t s = rng_state;
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  rng_state = s;
  return (double)s / 4294967296.0;
}

typedef struct { const char *name; int N, C, H, Wd, binary; } workload_t;
static const workload_t presets[] = {
  { "small", 2, 5, 17, 23, 0 },
  { "voc", 8, 21, 256, 256, 0 },
  { "city", 1, 19, 1024, 2048, 0 },
  { "binary", 4, 1, 512, 512, 1 }, // dense 0/1 mask: bce and focal
};

static void bw_probe(int reps) {
  const size_t bytes = (size_t)256 << 20, n = bytes / sizeof(float);
  float *a = aligned_alloc(64, bytes), *b = aligned_alloc(64, bytes);
  if (!a || !b) { printf("{\"kernel\":\"bw\",\"isa\":\"%s\",\"skipped\":\"out of memory\"}\n", ISA); return; }
  for (size_t i = 0; i < n; i++) a[i] = (float)(i & 1023) * 0.001f;
  memset(b, 0, bytes);
  double *tr = malloc(sizeof(double) * reps), *tc = malloc(sizeof(double) * reps);
  volatile double sink = 0.0;
  for (int r = -1; r < reps; r++) { // r = -1: warmup
    double t0 = now_ms();
    vf s0 = VZERO(), s1 = VZERO(), s2 = VZERO(), s3 = VZERO();
    for (size_t i = 0; i < n; i += 4 * W) {
      s0 = VADD(s0, VLOAD(a + i));
      s1 = VADD(s1, VLOAD(a + i + W));
      s2 = VADD(s2, VLOAD(a + i + 2 * W));
      s3 = VADD(s3, VLOAD(a + i + 3 * W));
    }
    sink += vhsum(VADD(VADD(s0, s1), VADD(s2, s3)));
    double t1 = now_ms();
    memcpy(b, a, bytes);
    double t2 = now_ms();
    sink += b[n / 2];
    if (r >= 0) { tr[r] = t1 - t0; tc[r] = t2 - t1; }
  }
  (void)sink;
  stats_t sr = summarize(tr, reps), sc = summarize(tc, reps);
  printf("{\"kernel\":\"bw\",\"isa\":\"%s\",\"bytes\":%zu,\"reps\":%d,\"read_median_ms\":%.3f,\"read_gbs\":%.2f,"
         "\"copy_median_ms\":%.3f,\"copy_gbs\":%.2f,\"copy_note\":\"copy GB/s counts bytes read + written\"}\n",
         ISA, bytes, reps, sr.median, bytes / sr.median / 1e6, sc.median, 2.0 * bytes / sc.median / 1e6);
  free(a); free(b); free(tr); free(tc);
}

int main(int argc, char **argv) {
  int reps = 9, warmup = 2, grad_mode = 1; // grad_mode: 1 = grad, 0 = forward only, 2 = both
  unsigned seed = 1;
  int do_ce = 1, do_dice = 1, do_bce = 1, do_focal = 1;
  for (int a = 1; a < argc; a++) {
    const char *arg = argv[a];
    if (!strcmp(arg, "--reps") && a + 1 < argc) { reps = atoi(argv[++a]); continue; }
    if (!strcmp(arg, "--warmup") && a + 1 < argc) { warmup = atoi(argv[++a]); continue; }
    if (!strcmp(arg, "--seed") && a + 1 < argc) { seed = (unsigned)strtoul(argv[++a], NULL, 10); continue; }
    if (!strcmp(arg, "--grad") && a + 1 < argc) {
      const char *v = argv[++a];
      grad_mode = !strcmp(v, "both") ? 2 : atoi(v) ? 1 : 0;
      continue;
    }
    if (!strcmp(arg, "--kernels") && a + 1 < argc) {
      const char *v = argv[++a];
      char buf[256];
      snprintf(buf, sizeof buf, ",%s,", v);
      do_ce = strstr(buf, ",ce,") != NULL;
      do_dice = strstr(buf, ",dice,") != NULL;
      do_bce = strstr(buf, ",bce,") != NULL;
      do_focal = strstr(buf, ",focal,") != NULL;
      continue;
    }
    if (reps < 1) reps = 1;
    if (!strcmp(arg, "bw")) { bw_probe(reps < 3 ? 3 : reps); continue; }
    workload_t wl = { arg, 0, 0, 0, 0, 0 };
    for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++)
      if (!strcmp(arg, presets[k].name)) wl = presets[k];
    if (!wl.N && sscanf(arg, "%dx%dx%dx%d", &wl.N, &wl.C, &wl.H, &wl.Wd) != 4) {
      fprintf(stderr, "unknown workload %s (presets: small voc city; or NxCxHxW; or bw)\n", arg);
      return 2;
    }
    if (wl.C < 1 || wl.C > 255 || wl.N < 1 || wl.H < 1 || wl.Wd < 1) { fprintf(stderr, "bad workload %s\n", arg); return 2; }
    const int N = wl.N, C = wl.C, P = wl.H * wl.Wd;
    const size_t nx = (size_t)N * C * P, nl = (size_t)N * P;
    float *x = malloc(nx * sizeof(float)), *g = malloc(nx * sizeof(float));
    uint8_t *lab = malloc(nl);
    float *ym = wl.binary ? malloc(nx * sizeof(float)) : NULL;
    if (!dice_scratch) dice_scratch = malloc(sizeof(float) * TILE * 256);
    rng_state = seed ? seed : 1;
    for (size_t i = 0; i < nx; i++) x[i] = (float)((rng_u() - 0.5) * 8.0);
    if (wl.binary) for (size_t i = 0; i < nx; i++) ym[i] = rng_u() < 0.5 ? 1.0f : 0.0f;
    else for (size_t i = 0; i < nl; i++) lab[i] = (uint8_t)floor(rng_u() * C);
    memset(g, 0, nx * sizeof(float));
    double *t = malloc(sizeof(double) * reps);
    static const char *kname[] = { "ce", "dice", "bce", "focal" };
    for (int kern = 0; kern < 4; kern++) {
      if (wl.binary ? (kern < 2 || (kern == 2 && !do_bce) || (kern == 3 && !do_focal))
                    : (kern >= 2 || (kern == 0 && !do_ce) || (kern == 1 && !do_dice))) continue;
      for (int gm = 0; gm < 2; gm++) {
        const int with_grad = gm == 1;
        if (grad_mode != 2 && with_grad != grad_mode) continue;
        float *gp = with_grad ? g : NULL;
        double loss = 0.0;
        for (int r = -warmup; r < reps; r++) {
          double t0 = now_ms();
          loss = kern == 0 ? ce_kernel(x, lab, N, C, P, 255, gp)
               : kern == 1 ? dice_kernel(x, lab, N, C, P, 255, gp)
               : sigmoid_kernel(kern == 3, x, ym, N, C, P, gp);
          double t1 = now_ms();
          if (r >= 0) t[r] = t1 - t0;
        }
        double l1 = 0.0, dot = 0.0;
        if (with_grad)
          for (size_t i = 0; i < nx; i++) { l1 += fabs((double)g[i]); dot += (double)g[i] * x[i]; }
        stats_t s = summarize(t, reps);
        printf("{\"kernel\":\"%s\",\"isa\":\"%s\",\"workload\":\"%s\",\"N\":%d,\"C\":%d,\"P\":%d,\"grad\":%s,\"reps\":%d,"
               "\"median_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f,\"loss\":%.17g",
               kname[kern], ISA, wl.name, N, C, P, with_grad ? "true" : "false", reps, s.median, s.min,
               s.max, loss);
        if (with_grad) printf(",\"grad_l1\":%.17g,\"grad_dot_x\":%.17g", l1, dot);
        printf("}\n");
        fflush(stdout);
      }
    }
    free(x); free(g); free(lab); free(ym); free(t);
  }
  return 0;
}
