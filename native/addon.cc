// N-API entry points of the sdts native backend (plain node_api.h: no npm dependency). Each function takes
// the output Float32Array first, then inputs and sizes, and ends with (threads, isa): the thread count and
// which kernel table (instruction set) to use. Tensors are Float32Arrays in logical row-major layout, read
// and written in place; packed weights are Float32Arrays too. Shapes are checked on the TypeScript side;
// here every array is checked to be a Float32Array long enough for the sizes given, so a bad call throws
// instead of reading out of bounds.
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kernels.h"
#include "pool.h"

namespace {

// --- CPU feature dispatch -----------------------------------------------------------------------------------

enum Isa { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

const sdts_kernels* table(int isa) {
#if defined(SDTS_X64)
  if (isa == kAvx512) return &sdts_kernels_avx512;
  if (isa == kAvx2) return &sdts_kernels_avx2;
#endif
  (void)isa;
  return &sdts_kernels_generic;
}

/** The best instruction set this CPU and OS support (the OS must save the wide registers). */
int best_isa() {
#if defined(SDTS_X64) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma"))
    return kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return kAvx2;
#endif
  return kGeneric;
}

const char* isa_name(int isa) { return table(isa)->name; }

/** Whether the bf16 GEMM can run: the AVX-512 build has it and the CPU has AVX512-BF16. */
bool has_bf16() {
#if defined(SDTS_X64) && defined(__GNUC__)
  return best_isa() == kAvx512 && sdts_kernels_avx512.conv2d_bf16 != nullptr && __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

// --- argument helpers ---------------------------------------------------------------------------------------

/** Kernel calls from several JS threads (worker_threads) run one at a time: they share the pool's scratch. */
std::mutex g_call_mutex;

struct Args {
  std::lock_guard<std::mutex> lock{g_call_mutex};
  napi_env env;
  napi_value argv[24];
  size_t argc = 24;
  bool failed = false;
  const char* fn;

  Args(napi_env e, napi_callback_info info, const char* name, size_t expected) : env(e), fn(name) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < expected) fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc));
  }

  void fail(const std::string& msg) {
    if (failed) return;
    failed = true;
    napi_throw_type_error(env, nullptr, (std::string("sdts native ") + fn + ": " + msg).c_str());
  }

  int64_t i64(size_t i) {
    int64_t v = 0;
    if (failed) return 0;
    if (napi_get_value_int64(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }

  double f64(size_t i) {
    double v = 0;
    if (failed) return 0;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) fail("argument " + std::to_string(i) + " must be a number");
    return v;
  }

  bool isNull(size_t i) {
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    return t == napi_null || t == napi_undefined;
  }

  /** A Float32Array with at least `need` elements (null allowed when `optional`). */
  float* f32(size_t i, int64_t need, bool optional = false) {
    if (failed) return nullptr;
    if (optional && isNull(i)) return nullptr;
    bool is = false;
    napi_is_typedarray(env, argv[i], &is);
    if (!is) {
      fail("argument " + std::to_string(i) + " must be a Float32Array");
      return nullptr;
    }
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr);
    if (type != napi_float32_array) {
      fail("argument " + std::to_string(i) + " must be a Float32Array");
      return nullptr;
    }
    if (need < 0 || static_cast<int64_t>(length) < need) {
      fail("argument " + std::to_string(i) + " has " + std::to_string(length) + " elements, needs " +
           std::to_string(need));
      return nullptr;
    }
    return static_cast<float*>(data);
  }

  /**
   * Argument i, the weight format: 0 fp32, 1 bf16 (bf16 GEMM; checked to be available), 2 fp16 storage
   * (fp32 GEMM on weights widened from fp16).
   */
  int format(size_t i, const sdts_kernels* k) {
    int64_t v = i < argc ? i64(i) : 0;
    if (failed) return 0;
    if (v < 0 || v > 2) fail("weight format must be 0 (fp32), 1 (bf16) or 2 (fp16)");
    if (v == 1 && (!has_bf16() || k->conv2d_bf16 == nullptr))
      fail("the bf16 GEMM needs the avx512 kernels and a CPU with AVX512-BF16");
    return static_cast<int>(v);
  }

  /** Argument i: a conv's kernel taps (KH·KW), which must divide its K = C·taps. */
  int64_t taps(size_t i, int64_t K) {
    int64_t v = i64(i);
    if (!failed && (v < 1 || K % v != 0)) fail("taps must divide K");
    return v;
  }

  /** The trailing (threads, isa) pair. */
  int threads(size_t i) { return static_cast<int>(i64(i)); }
  const sdts_kernels* kernels(size_t i) { return table(static_cast<int>(i64(i))); }
};

/**
 * Packed sizes (floats) of a conv weight [O, K = C·taps] / linear weight [N, K] in weight format fmt (the bf16
 * conv layout pairs input channels at the same tap, so it needs taps = KH·KW).
 */
size_t conv_size(const sdts_kernels* k, int fmt, int64_t O, int64_t K, int64_t taps) {
  return fmt == 1 ? k->conv_packed_size_bf16(O, K / taps, taps) : fmt == 2 ? k->conv_packed_size_f16(O, K) : k->conv_packed_size(O, K);
}
size_t linear_size(const sdts_kernels* k, int fmt, int64_t N, int64_t K) {
  return fmt == 1 ? k->linear_packed_size_bf16(N, K) : fmt == 2 ? k->linear_packed_size_f16(N, K) : k->linear_packed_size(N, K);
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// --- exported functions -------------------------------------------------------------------------------------

/** Bumped whenever an exported function's arguments change; src/backend/native/addon.ts checks it. */
constexpr int kAbiVersion = 5;

napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_int32(env, kAbiVersion, &v);
  napi_set_named_property(env, o, "abi", v);
  int best = best_isa();
  napi_create_string_utf8(env, isa_name(best), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "isa", v);
  napi_create_int32(env, best, &v);
  napi_set_named_property(env, o, "isaIndex", v);
  napi_create_int32(env, sdts_pool_size(), &v);
  napi_set_named_property(env, o, "maxThreads", v);
  napi_value arr;
  napi_create_array(env, &arr);
  for (int i = 0; i <= best; i++) {
    napi_create_string_utf8(env, isa_name(i), NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, arr, i, v);
  }
  napi_set_named_property(env, o, "isas", arr);
  napi_get_boolean(env, has_bf16(), &v);
  napi_set_named_property(env, o, "bf16", v);
  return o;
}

// convPackedSize(O, K, isa, format, taps) → floats of a packed conv weight [O, K = C·taps]
napi_value ConvPackedSize(napi_env env, napi_callback_info info) {
  Args a(env, info, "convPackedSize", 5);
  int64_t O = a.i64(0), K = a.i64(1), taps = a.taps(4, K);
  const sdts_kernels* k = a.kernels(2);
  int fmt = a.format(3, k);
  if (a.failed) return nullptr;
  napi_value v;
  napi_create_int64(env, static_cast<int64_t>(conv_size(k, fmt, O, K, taps)), &v);
  return v;
}

// linearPackedSize(N, K, isa, format) → floats of a packed linear weight [N, K]
napi_value LinearPackedSize(napi_env env, napi_callback_info info) {
  Args a(env, info, "linearPackedSize", 4);
  int64_t N = a.i64(0), K = a.i64(1);
  const sdts_kernels* k = a.kernels(2);
  int fmt = a.format(3, k);
  if (a.failed) return nullptr;
  napi_value v;
  napi_create_int64(env, static_cast<int64_t>(linear_size(k, fmt, N, K)), &v);
  return v;
}

// packConv(packed, w, O, K, isa, format, taps): w [O, C, KH, KW] with K = C·taps, taps = KH·KW
napi_value PackConv(napi_env env, napi_callback_info info) {
  Args a(env, info, "packConv", 7);
  int64_t O = a.i64(2), K = a.i64(3), taps = a.taps(6, K);
  const sdts_kernels* k = a.kernels(4);
  int fmt = a.format(5, k);
  if (a.failed) return nullptr;
  float* packed = a.f32(0, static_cast<int64_t>(conv_size(k, fmt, O, K, taps)));
  float* w = a.f32(1, O * K);
  if (a.failed) return nullptr;
  if (fmt == 1)
    k->pack_conv_weight_bf16(w, O, K / taps, taps, packed);
  else
    (fmt == 2 ? k->pack_conv_weight_f16 : k->pack_conv_weight)(w, O, K, packed);
  return undefined(env);
}

// packLinear(packed, w, N, K, isa, format)
napi_value PackLinear(napi_env env, napi_callback_info info) {
  Args a(env, info, "packLinear", 6);
  int64_t N = a.i64(2), K = a.i64(3);
  const sdts_kernels* k = a.kernels(4);
  int fmt = a.format(5, k);
  if (a.failed) return nullptr;
  float* packed = a.f32(0, static_cast<int64_t>(linear_size(k, fmt, N, K)));
  float* w = a.f32(1, N * K);
  if (a.failed) return nullptr;
  (fmt == 1 ? k->pack_linear_weight_bf16 : fmt == 2 ? k->pack_linear_weight_f16 : k->pack_linear_weight)(w, N, K, packed);
  return undefined(env);
}

// conv2d(y, x, packed, bias|null, B, C, H, W, O, KH, KW, stride, padTop, padLeft, OH, OW, threads, isa, format)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args a(env, info, "conv2d", 19);
  sdts_conv_geom g;
  g.B = a.i64(4), g.C = a.i64(5), g.H = a.i64(6), g.W = a.i64(7), g.O = a.i64(8), g.KH = a.i64(9), g.KW = a.i64(10);
  g.stride = a.i64(11), g.padTop = a.i64(12), g.padLeft = a.i64(13), g.OH = a.i64(14), g.OW = a.i64(15);
  int threads = a.threads(16);
  const sdts_kernels* k = a.kernels(17);
  int fmt = a.format(18, k);
  if (!a.failed && (g.stride < 1 || g.OH < 1 || g.OW < 1 || g.KH < 1 || g.KW < 1)) a.fail("bad geometry");
  if (a.failed) return nullptr;
  const int64_t K = g.C * g.KH * g.KW;
  float* y = a.f32(0, g.B * g.O * g.OH * g.OW);
  float* x = a.f32(1, g.B * g.C * g.H * g.W);
  float* w = a.f32(2, static_cast<int64_t>(conv_size(k, fmt, g.O, K, g.KH * g.KW)));
  float* bias = a.f32(3, g.O, true);
  if (a.failed) return nullptr;
  (fmt == 1 ? k->conv2d_bf16 : fmt == 2 ? k->conv2d_f16w : k->conv2d)(&g, x, w, bias, y, threads);
  return undefined(env);
}

// linear(y, x, M, K, packed, N, bias|null, threads, isa, format)
napi_value Linear(napi_env env, napi_callback_info info) {
  Args a(env, info, "linear", 10);
  int64_t M = a.i64(2), K = a.i64(3), N = a.i64(5);
  int threads = a.threads(7);
  const sdts_kernels* k = a.kernels(8);
  int fmt = a.format(9, k);
  if (a.failed) return nullptr;
  float* y = a.f32(0, M * N);
  float* x = a.f32(1, M * K);
  float* w = a.f32(4, static_cast<int64_t>(linear_size(k, fmt, N, K)));
  float* bias = a.f32(6, N, true);
  if (a.failed) return nullptr;
  (fmt == 1 ? k->linear_bf16 : fmt == 2 ? k->linear_f16w : k->linear)(x, M, K, w, N, bias, y, threads);
  return undefined(env);
}

// groupNorm(y, x, B, C, spatial, groups, gamma, beta, eps, silu, threads, isa)
napi_value GroupNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, "groupNorm", 12);
  int64_t B = a.i64(2), C = a.i64(3), S = a.i64(4), G = a.i64(5);
  double eps = a.f64(8);
  int64_t silu = a.i64(9);
  int threads = a.threads(10);
  const sdts_kernels* k = a.kernels(11);
  if (!a.failed && (G < 1 || C % G != 0)) a.fail("channels not divisible by groups");
  float* y = a.f32(0, B * C * S);
  float* x = a.f32(1, B * C * S);
  float* gamma = a.f32(6, C);
  float* beta = a.f32(7, C);
  if (a.failed) return nullptr;
  k->group_norm(x, B, C, S, G, gamma, beta, static_cast<float>(eps), static_cast<int>(silu), y, threads);
  return undefined(env);
}

// layerNorm(y, x, rows, C, gamma, beta, eps, threads, isa)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, "layerNorm", 9);
  int64_t rows = a.i64(2), C = a.i64(3);
  double eps = a.f64(6);
  int threads = a.threads(7);
  const sdts_kernels* k = a.kernels(8);
  float* y = a.f32(0, rows * C);
  float* x = a.f32(1, rows * C);
  float* gamma = a.f32(4, C);
  float* beta = a.f32(5, C);
  if (a.failed) return nullptr;
  k->layer_norm(x, rows, C, gamma, beta, static_cast<float>(eps), y, threads);
  return undefined(env);
}

// unary(y, x, n, kind, s, threads, isa)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info, "unary", 7);
  int64_t n = a.i64(2), kind = a.i64(3);
  double s = a.f64(4);
  int threads = a.threads(5);
  const sdts_kernels* k = a.kernels(6);
  float* y = a.f32(0, n);
  float* x = a.f32(1, n);
  if (a.failed) return nullptr;
  k->unary(x, n, static_cast<int>(kind), static_cast<float>(s), y, threads);
  return undefined(env);
}

// geglu(y, x, rows, D, threads, isa)
napi_value Geglu(napi_env env, napi_callback_info info) {
  Args a(env, info, "geglu", 6);
  int64_t rows = a.i64(2), D = a.i64(3);
  int threads = a.threads(4);
  const sdts_kernels* k = a.kernels(5);
  float* y = a.f32(0, rows * D);
  float* x = a.f32(1, rows * 2 * D);
  if (a.failed) return nullptr;
  k->geglu(x, rows, D, y, threads);
  return undefined(env);
}

// add(y, a, b, n, threads, isa)
napi_value Add(napi_env env, napi_callback_info info) {
  Args a(env, info, "add", 6);
  int64_t n = a.i64(3);
  int threads = a.threads(4);
  const sdts_kernels* k = a.kernels(5);
  float* y = a.f32(0, n);
  float* x0 = a.f32(1, n);
  float* x1 = a.f32(2, n);
  if (a.failed) return nullptr;
  k->add(x0, x1, n, y, threads);
  return undefined(env);
}

// addPerChannel(y, x, v, planes, spatial, threads, isa)
napi_value AddPerChannel(napi_env env, napi_callback_info info) {
  Args a(env, info, "addPerChannel", 7);
  int64_t planes = a.i64(3), S = a.i64(4);
  int threads = a.threads(5);
  const sdts_kernels* k = a.kernels(6);
  float* y = a.f32(0, planes * S);
  float* x = a.f32(1, planes * S);
  float* v = a.f32(2, planes);
  if (a.failed) return nullptr;
  k->add_per_channel(x, v, planes, S, y, threads);
  return undefined(env);
}

// attention(y, q, k, v, B, Tq, Tk, heads, D, scale, causal, threads, isa, format): format 1 runs QKᵀ and PV
// in bf16 (fp32 softmax and accumulation), 0 in fp32.
napi_value Attention(napi_env env, napi_callback_info info) {
  Args a(env, info, "attention", 14);
  int64_t B = a.i64(4), Tq = a.i64(5), Tk = a.i64(6), H = a.i64(7), D = a.i64(8);
  double scale = a.f64(9);
  int64_t causal = a.i64(10);
  int threads = a.threads(11);
  const sdts_kernels* k = a.kernels(12);
  int fmt = a.format(13, k);
  if (!a.failed && fmt == 2) a.fail("attention format must be 0 (fp32) or 1 (bf16)");
  if (!a.failed && fmt == 1 && k->attention_bf16 == nullptr) a.fail("bf16 attention needs the avx512 kernels and a CPU with AVX512-BF16");
  if (!a.failed && (Tk < 1 || D < 1 || H < 1)) a.fail("empty keys or heads");
  float* y = a.f32(0, B * Tq * H * D);
  float* q = a.f32(1, B * Tq * H * D);
  float* kk = a.f32(2, B * Tk * H * D);
  float* v = a.f32(3, B * Tk * H * D);
  if (a.failed) return nullptr;
  (fmt == 1 ? k->attention_bf16 : k->attention)(q, kk, v, B, Tq, Tk, H, D, static_cast<float>(scale), static_cast<int>(causal), y, threads);
  return undefined(env);
}

// upsample2x(y, x, planes, H, W, threads, isa)
napi_value Upsample2x(napi_env env, napi_callback_info info) {
  Args a(env, info, "upsample2x", 7);
  int64_t planes = a.i64(2), H = a.i64(3), W = a.i64(4);
  int threads = a.threads(5);
  const sdts_kernels* k = a.kernels(6);
  float* y = a.f32(0, planes * H * W * 4);
  float* x = a.f32(1, planes * H * W);
  if (a.failed) return nullptr;
  k->upsample2x(x, planes, H, W, y, threads);
  return undefined(env);
}

// transpose(y, x, B, R, S, threads, isa)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args a(env, info, "transpose", 7);
  int64_t B = a.i64(2), R = a.i64(3), S = a.i64(4);
  int threads = a.threads(5);
  const sdts_kernels* k = a.kernels(6);
  float* y = a.f32(0, B * R * S);
  float* x = a.f32(1, B * R * S);
  if (a.failed) return nullptr;
  k->transpose(x, B, R, S, y, threads);
  return undefined(env);
}

/**
 * Keep big tensors' memory in the malloc heap. glibc serves blocks above 32 MiB (the GEGLU projection's
 * [2, 4096, 2560] output is 84 MB) with a fresh mmap and unmaps them on free, so every such op page-faults
 * its whole output again (seconds per UNet forward on a VM). With mmap off and trimming high, freed blocks
 * are reused. Tensors are ArrayBuffers from Node's allocator (malloc), so this covers them.
 * SDTS_MALLOC_TUNING=0 leaves malloc alone.
 */
void tune_malloc() {
#if defined(__GLIBC__)
  const char* env = std::getenv("SDTS_MALLOC_TUNING");
  if (env && std::strcmp(env, "0") == 0) return;
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

/**
 * trimHeap(): hand the malloc heap's free pages back to the OS, wherever they are (tune_malloc trims only a free
 * top above 1 GiB). Called when the memory in use has just dropped: after a network's load temporaries are
 * collected and when a network is dropped. Without it the holes the load temporaries leave between the weight
 * slabs stay resident (≈0.3 GB after the SD1.5 UNet loads).
 */
napi_value TrimHeap(napi_env env, napi_callback_info) {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  tune_malloc();
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {
      {"info", Info},          {"convPackedSize", ConvPackedSize}, {"linearPackedSize", LinearPackedSize},
      {"packConv", PackConv},
      {"packLinear", PackLinear}, {"conv2d", Conv2d},  {"linear", Linear},
      {"groupNorm", GroupNorm}, {"layerNorm", LayerNorm}, {"unary", Unary},
      {"geglu", Geglu},        {"add", Add},           {"addPerChannel", AddPerChannel},
      {"attention", Attention}, {"upsample2x", Upsample2x}, {"transpose", Transpose},
      {"trimHeap", TrimHeap},
  };
  for (const Fn& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
