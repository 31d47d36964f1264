// The FMA peak of one core: 16 independent chains of 512-bit (or the widest available) fused
// multiply-adds, so that latency never limits. Prints GFLOP/s. bench/run.py builds it for the
// CPU it runs on with -mprefer-vector-width=512 (clang would split the vectors into 256-bit
// halves on Intel's server CPUs) and checks the width of the FMAs; no binary is kept.
#include <stdio.h>
#include <time.h>

typedef float v16 __attribute__((vector_size(64)));

int main(void) {
  v16 acc[16];
  v16 x, y;
  for (int i = 0; i < 16; ++i) {
    x[i] = 1.0f + i * 1e-7f;
    y[i] = 1.0f - i * 1e-7f;
  }
  for (int c = 0; c < 16; ++c)
    acc[c] = x * (float)c;
  long iters = 20000000;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < iters; ++i)
    for (int c = 0; c < 16; ++c)
      acc[c] = acc[c] * x + y;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  v16 sum = acc[0];
  for (int c = 1; c < 16; ++c)
    sum += acc[c];
  double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  double flops = 2.0 * 16 * 16 * iters;
  printf("%.1f %f\n", flops / s / 1e9, sum[0]);
  return 0;
}
