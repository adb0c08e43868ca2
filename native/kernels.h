// The kernel table: one instance per instruction set (kernels_avx512.cc, kernels_avx2.cc,
// kernels_generic.cc compile the same kernels_impl.inc with different flags); addon.cc picks one at load
// from the CPU's features. Plain C types only, so no C++ inline code is shared between the ISA files.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {

/** Convolution geometry: x [B, C, H, W] → y [B, O, OH, OW]. */
struct sdts_conv_geom {
  int64_t B, C, H, W, O, KH, KW, stride, padTop, padLeft, OH, OW;
};

struct sdts_kernels {
  const char* name;
  /** GEMM register tile: rows of the weight panel for conv (A side) and columns for linear (B side). */
  int mr, nr;

  /** Packed size (floats) of a conv weight [O, K] (A panels of mr rows, zero padded). */
  size_t (*conv_packed_size)(int64_t O, int64_t K);
  void (*pack_conv_weight)(const float* w, int64_t O, int64_t K, float* packed);
  /** Packed size (floats) of a linear weight [N, K] used as Wᵀ (B panels of nr columns, zero padded). */
  size_t (*linear_packed_size)(int64_t N, int64_t K);
  void (*pack_linear_weight)(const float* w, int64_t N, int64_t K, float* packed);

  void (*conv2d)(const sdts_conv_geom* g, const float* x, const float* packedW, const float* bias, float* y, int threads);
  /** y [M, N] = x [M, K] · Wᵀ + bias. */
  void (*linear)(const float* x, int64_t M, int64_t K, const float* packedW, int64_t N, const float* bias, float* y, int threads);

  void (*group_norm)(const float* x, int64_t B, int64_t C, int64_t spatial, int64_t groups, const float* gamma,
                     const float* beta, float eps, int silu, float* y, int threads);
  void (*layer_norm)(const float* x, int64_t rows, int64_t C, const float* gamma, const float* beta, float eps, float* y,
                     int threads);
  /** kind: 0 silu, 1 gelu (erf), 2 quick gelu, 3 scale by `s`. */
  void (*unary)(const float* x, int64_t n, int kind, float s, float* y, int threads);
  void (*geglu)(const float* x, int64_t rows, int64_t D, float* y, int threads);
  void (*add)(const float* a, const float* b, int64_t n, float* y, int threads);
  void (*add_per_channel)(const float* x, const float* v, int64_t planes, int64_t spatial, float* y, int threads);
  void (*attention)(const float* q, const float* k, const float* v, int64_t B, int64_t Tq, int64_t Tk, int64_t heads,
                    int64_t D, float scale, int causal, float* out, int threads);
  void (*upsample2x)(const float* x, int64_t planes, int64_t H, int64_t W, float* y, int threads);
  /** Per batch, an R×S matrix to S×R. */
  void (*transpose)(const float* x, int64_t B, int64_t R, int64_t S, float* y, int threads);

  // fp16 weight storage (fp32 GEMM on weights widened from fp16): packed sizes in floats.
  size_t (*conv_packed_size_f16)(int64_t O, int64_t K);
  void (*pack_conv_weight_f16)(const float* w, int64_t O, int64_t K, float* packed);
  size_t (*linear_packed_size_f16)(int64_t N, int64_t K);
  void (*pack_linear_weight_f16)(const float* w, int64_t N, int64_t K, float* packed);
  void (*conv2d_f16w)(const sdts_conv_geom* g, const float* x, const float* packedW, const float* bias, float* y, int threads);
  void (*linear_f16w)(const float* x, int64_t M, int64_t K, const float* packedW, int64_t N, const float* bias, float* y,
                      int threads);

  // bf16 GEMM (null when this build has no AVX512-BF16 path; usable only when the CPU has it). Packed
  // weights are uint32 bf16 pairs stored in float-sized slots.
  // Conv weights [O, C, taps] (taps = KH·KW) are packed in pairs of input channels at the same tap.
  size_t (*conv_packed_size_bf16)(int64_t O, int64_t C, int64_t taps);
  void (*pack_conv_weight_bf16)(const float* w, int64_t O, int64_t C, int64_t taps, float* packed);
  size_t (*linear_packed_size_bf16)(int64_t N, int64_t K);
  void (*pack_linear_weight_bf16)(const float* w, int64_t N, int64_t K, float* packed);
  void (*conv2d_bf16)(const sdts_conv_geom* g, const float* x, const float* packedW, const float* bias, float* y, int threads);
  void (*linear_bf16)(const float* x, int64_t M, int64_t K, const float* packedW, int64_t N, const float* bias, float* y,
                      int threads);
  /** attention with bf16 QKᵀ and PV products (fp32 softmax and accumulation); null where the bf16 GEMM is. */
  void (*attention_bf16)(const float* q, const float* k, const float* v, int64_t B, int64_t Tq, int64_t Tk, int64_t heads,
                         int64_t D, float scale, int causal, float* out, int threads);
};

extern const sdts_kernels sdts_kernels_generic;
#if defined(SDTS_X64)
extern const sdts_kernels sdts_kernels_avx2;
extern const sdts_kernels sdts_kernels_avx512;
#endif
}
