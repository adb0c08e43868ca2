// AVX-512 (F/BW/VL/DQ) + FMA build of the kernels; compiled with -mavx512f … by binding.gyp, used only when
// the CPU and OS support AVX-512. GEMM tile 12 × 32 and attention block 8 keys × 48 queries (24 zmm
// accumulators each).
#define SDTS_NS sdts_avx512
#define SDTS_W 16
#define SDTS_MR 12
#define SDTS_NV 2
#define SDTS_KC 384
#define SDTS_ATT_QV 3
#define SDTS_ATT_JB 8
#define SDTS_TABLE sdts_kernels_avx512
#define SDTS_ISA_NAME "avx512"
#include "kernels_impl.inc"
