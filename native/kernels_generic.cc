// Portable build of the kernels (baseline flags: SSE2 on x86-64, NEON on arm64, scalar elsewhere);
// GEMM tile 4 × 8.
#define SDTS_NS sdts_generic
#define SDTS_W 4
#define SDTS_MR 4
#define SDTS_NV 2
#define SDTS_KC 256
#define SDTS_ATT_QV 2
#define SDTS_ATT_JB 6
#define SDTS_TABLE sdts_kernels_generic
#define SDTS_ISA_NAME "generic"
#include "kernels_impl.inc"
