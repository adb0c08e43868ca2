// Single-process timing of the bf16 kernels (AVX512-BF16) on the SD1.5 UNet's shapes, straight on the AVX-512
// kernel table (no Node, no per-call output allocation): GFLOP/s per core from thread CPU time (one thread:
// the caller runs every task) or wall time (several threads), best of N, plus each kernel's max abs error
// against the fp32 kernel of the same table. Also the vdpbf16ps peak: a 12 × 32 register tile from L1.
//
//   F="-std=gnu++17 -O3 -ffp-contract=fast -fno-math-errno -DSDTS_X64 -Inative"
//   X="-mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mavx2 -mf16c -mavx512bf16 -mprefer-vector-width=512"
//   g++ $F $X -c native/kernels_avx512.cc -o /tmp/k512.o
//   g++ $F -c native/pool.cc -o /tmp/pool.o
//   g++ $F $X bench/bf16Harness.cc /tmp/k512.o /tmp/pool.o -o /tmp/bf16h -pthread
//   /tmp/bf16h [threads=1] [iters=5] [what=peak,conv,linear,attention]
#include <immintrin.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "kernels.h"

static double clock_s(clockid_t id) {
  timespec t;
  clock_gettime(id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static unsigned seed = 1;
static void fill(std::vector<float>& v, float scale) {
  for (float& x : v) x = scale * (((seed = seed * 1664525u + 1013904223u) >> 8) / 8388608.f - 1);
}

static int threads = 1, iters = 5;

/** Best of `iters` timed calls after one warm-up: per core (thread CPU time) for 1 thread, else wall. */
template <class F>
static double best_gflops(double flops, F f) {
  const clockid_t id = threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
  double best = 1e30;
  for (int i = 0; i <= iters; i++) {
    const double t0 = clock_s(id);
    f();
    const double t = clock_s(id) - t0;
    if (i > 0 && t < best) best = t;
  }
  return flops / best / 1e9;
}

static double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b, double* scale) {
  double m = 0, s = 0;
  for (size_t i = 0; i < a.size(); i++) {
    m = std::fmax(m, std::fabs(a[i] - b[i]));
    s = std::fmax(s, std::fabs(b[i]));
  }
  *scale = s;
  return m;
}

/** 12 × 32 vdpbf16ps tile on L1-resident operands (the GEMM kernels' inner loop without memory traffic). */
__attribute__((noinline)) static float peak_tile(long steps, const uint32_t* A, const uint32_t* B) {
  __m512 acc[12][2];
  for (int i = 0; i < 12; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (long it = 0; it < steps; it++) {
    const long k = it & 63;
    const __m512i b0 = _mm512_loadu_si512(B + k * 32), b1 = _mm512_loadu_si512(B + k * 32 + 16);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
      const __m512i a = _mm512_set1_epi32(static_cast<int>(A[k * 12 + i]));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], (__m512bh)a, (__m512bh)b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], (__m512bh)a, (__m512bh)b1);
    }
  }
  __m512 s = _mm512_setzero_ps();
  for (int i = 0; i < 12; i++) s = _mm512_add_ps(s, _mm512_add_ps(acc[i][0], acc[i][1]));
  return _mm512_reduce_add_ps(s);
}

int main(int argc, char** argv) {
  threads = argc > 1 ? std::atoi(argv[1]) : 1;
  iters = argc > 2 ? std::atoi(argv[2]) : 5;
  const char* what = argc > 3 ? argv[3] : "peak,conv,linear,attention";
  const sdts_kernels* k = &sdts_kernels_avx512;
  if (!k->conv2d_bf16 || !__builtin_cpu_supports("avx512bf16")) {
    std::printf("no AVX512-BF16 here\n");
    return 1;
  }
  std::printf("%s, %d thread(s), best of %d\n", threads == 1 ? "GFLOP/s per core (thread CPU time)" : "GFLOP/s wall", threads, iters);

  if (std::strstr(what, "peak")) {
    static uint32_t A[64 * 12], B[64 * 32];
    for (uint32_t& a : A) a = 0x3f803f80u;
    for (uint32_t& b : B) b = 0x00010001u;
    const long steps = 20000000;
    float sink = 0;
    const int saved = threads;
    threads = 1;
    const double g = best_gflops(steps * 24.0 * 64, [&] { sink += peak_tile(steps, A, B); });
    threads = saved;
    std::printf("  %-40s %7.1f%s\n", "vdpbf16ps 12x32 tile from L1", g, sink == 12345.0f ? " " : "");
  }

  if (std::strstr(what, "conv")) {
    const int shapes[][5] = {{320, 64, 320, 3, 1},   {640, 32, 640, 3, 1},   {1280, 16, 1280, 3, 1}, {1280, 8, 1280, 3, 1},
                             {960, 64, 320, 3, 1},   {320, 64, 320, 1, 1},   {1280, 16, 1280, 1, 1}, {320, 64, 320, 3, 2}};
    for (const auto& s : shapes) {  // C, H = W, O, kernel, stride
      const int64_t B = 2, C = s[0], H = s[1], O = s[2], KS = s[3], st = s[4], pad = KS / 2, OH = (H + 2 * pad - KS) / st + 1;
      std::vector<float> x(B * C * H * H), w(O * C * KS * KS), bias(O), y(B * O * OH * OH), ref(y.size());
      fill(x, 1);
      fill(w, 1 / std::sqrt(static_cast<float>(C * KS * KS)));
      fill(bias, 0.1f);
      const sdts_conv_geom g{B, C, H, H, O, KS, KS, st, pad, pad, OH, OH};
      std::vector<float> pb(k->conv_packed_size_bf16(O, C, KS * KS)), pf(k->conv_packed_size(O, C * KS * KS));
      k->pack_conv_weight_bf16(w.data(), O, C, KS * KS, pb.data());
      k->pack_conv_weight(w.data(), O, C * KS * KS, pf.data());
      const double gf = best_gflops(2.0 * B * O * OH * OH * C * KS * KS,
                                    [&] { k->conv2d_bf16(&g, x.data(), pb.data(), bias.data(), y.data(), threads); });
      k->conv2d(&g, x.data(), pf.data(), bias.data(), ref.data(), threads);
      double scale;
      const double err = max_abs_diff(y, ref, &scale);
      char name[96];
      std::snprintf(name, sizeof name, "conv%lldx%lld s%lld [2,%lld,%lld,%lld]->%lld", (long long)KS, (long long)KS, (long long)st,
                    (long long)C, (long long)H, (long long)H, (long long)O);
      std::printf("  %-40s %7.1f  (max abs err %.2g of %.2g)\n", name, gf, err, scale);
    }
  }

  if (std::strstr(what, "linear")) {
    const int shapes[][3] = {{8192, 320, 320},  {8192, 320, 2560},  {8192, 1280, 320}, {2048, 640, 5120},
                             {512, 1280, 1280}, {512, 1280, 10240}, {154, 768, 320}};
    for (const auto& s : shapes) {  // M, K, N
      const int64_t M = s[0], K = s[1], N = s[2];
      std::vector<float> x(M * K), w(N * K), bias(N), y(M * N), ref(M * N);
      fill(x, 1);
      fill(w, 1 / std::sqrt(static_cast<float>(K)));
      fill(bias, 0.1f);
      std::vector<float> pb(k->linear_packed_size_bf16(N, K)), pf(k->linear_packed_size(N, K));
      k->pack_linear_weight_bf16(w.data(), N, K, pb.data());
      k->pack_linear_weight(w.data(), N, K, pf.data());
      const double gf = best_gflops(2.0 * M * N * K, [&] { k->linear_bf16(x.data(), M, K, pb.data(), N, bias.data(), y.data(), threads); });
      k->linear(x.data(), M, K, pf.data(), N, bias.data(), ref.data(), threads);
      double scale;
      const double err = max_abs_diff(y, ref, &scale);
      char name[96];
      std::snprintf(name, sizeof name, "linear [%lld,%lld]->%lld", (long long)M, (long long)K, (long long)N);
      std::printf("  %-40s %7.1f  (max abs err %.2g of %.2g)\n", name, gf, err, scale);
    }
  }

  if (std::strstr(what, "attention")) {
    const int shapes[][4] = {{4096, 4096, 8, 40}, {4096, 77, 8, 40}, {1024, 1024, 8, 80}, {256, 256, 8, 160}, {64, 64, 8, 160}};
    for (const auto& s : shapes) {  // Tq, Tk, heads, D; batch 2
      const int64_t B = 2, Tq = s[0], Tk = s[1], H = s[2], D = s[3], E = H * D;
      std::vector<float> q(B * Tq * E), kk(B * Tk * E), v(B * Tk * E), y(B * Tq * E), ref(B * Tq * E);
      fill(q, 2);
      fill(kk, 2);
      fill(v, 1);
      const float scale = 1 / std::sqrt(static_cast<float>(D));
      const double flops = 4.0 * B * H * Tq * Tk * D;
      const double g32 = best_gflops(flops, [&] { k->attention(q.data(), kk.data(), v.data(), B, Tq, Tk, H, D, scale, 0, ref.data(), threads); });
      const double g16 = best_gflops(flops, [&] { k->attention_bf16(q.data(), kk.data(), v.data(), B, Tq, Tk, H, D, scale, 0, y.data(), threads); });
      double sc;
      const double err = max_abs_diff(y, ref, &sc);
      std::printf("  attention Tq %-4lld Tk %-4lld D %-3lld  fp32 %6.1f  bf16 %7.1f  (max abs err %.2g of %.2g)\n", (long long)Tq,
                  (long long)Tk, (long long)D, g32, g16, err, sc);
    }
  }
}
