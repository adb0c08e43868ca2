// AVX2 + FMA build of the kernels; GEMM tile 6 × 16 and attention block 6 keys × 16 queries (12 of the 16
// ymm registers as accumulators).
#define SDTS_NS sdts_avx2
#define SDTS_W 8
#define SDTS_MR 6
#define SDTS_NV 2
#define SDTS_KC 256
#define SDTS_ATT_QV 2
#define SDTS_ATT_JB 6
#define SDTS_TABLE sdts_kernels_avx2
#define SDTS_ISA_NAME "avx2"
#include "kernels_impl.inc"
