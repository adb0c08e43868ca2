// Single-process timing of the native 3×3 convs on the SD1.5 UNet's shapes, straight on the AVX-512 kernel
// table (no Node, no per-call output allocation): wall and per-core (process CPU time) GFLOP/s, best of N.
// Used for bench/RESULTS.md's conv figures; the im2col GEMM path is timed with SDTS_NATIVE_CONV=gemm.
//
//   F="-std=gnu++17 -O3 -ffp-contract=fast -fno-math-errno -DSDTS_X64 -Inative"
//   g++ $F -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mavx2 -mf16c -mavx512bf16 \
//       -mprefer-vector-width=512 -c native/kernels_avx512.cc -o /tmp/k512.o
//   g++ $F -c native/pool.cc -o /tmp/pool.o && g++ $F bench/convHarness.cc /tmp/k512.o /tmp/pool.o -o /tmp/convh -pthread
//   /tmp/convh [threads=2] [iters=6] [stride=1]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "kernels.h"

static double clock_s(clockid_t id) {
  timespec t;
  clock_gettime(id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2, iters = argc > 2 ? std::atoi(argv[2]) : 6;
  const int stride = argc > 3 ? std::atoi(argv[3]) : 1;
  const sdts_kernels* k = &sdts_kernels_avx512;
  const int shapes[][3] = {{320, 64, 320}, {640, 32, 640}, {1280, 16, 1280}, {1280, 8, 1280}};  // C, H=W, O
  for (const auto& s : shapes) {
    const int64_t B = 2, C = s[0], H = s[1], O = s[2], OH = (H + 2 - 3) / stride + 1;
    std::vector<float> x(B * C * H * H), w(O * C * 9), bias(O, 0.01f), y(B * O * OH * OH);
    unsigned a = 1;
    for (float& v : x) v = ((a = a * 1664525 + 1013904223) >> 8) / 8388608.f - 1;
    for (float& v : w) v = (((a = a * 1664525 + 1013904223) >> 8) / 8388608.f - 1) / std::sqrt(9.0f * C);
    std::vector<float> packed(k->conv_packed_size(O, C * 9));
    k->pack_conv_weight(w.data(), O, C * 9, packed.data());
    const sdts_conv_geom g{B, C, H, H, O, 3, 3, stride, 1, 1, OH, OH};
    const double flops = 2.0 * B * O * OH * OH * C * 9;
    double bestWall = 1e9, bestCpu = 1e9;
    for (int it = 0; it < iters + 1; it++) {  // the first call warms up
      const double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
      k->conv2d(&g, x.data(), packed.data(), bias.data(), y.data(), threads);
      const double dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, dw = clock_s(CLOCK_MONOTONIC) - w0;
      if (it > 0 && dw < bestWall) bestWall = dw;
      if (it > 0 && dc < bestCpu) bestCpu = dc;
    }
    std::printf("conv3x3 [2,%lld,%lld,%lld]→%lld s%d, %d threads: wall %.1f GFLOP/s, per core %.1f GFLOP/s\n",
                (long long)C, (long long)H, (long long)H, (long long)O, stride, threads, flops / bestWall / 1e9,
                flops / bestCpu / 1e9);
  }
}
