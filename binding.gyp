# The native CPU backend (src/backend/native). Built by `npm install` through node-gyp; if the build fails,
# install still succeeds and sdts falls back to the TypeScript backend.
#
# The same kernel source (native/kernels_impl.inc) is compiled once per instruction set, each as its own
# static library with its own -m flags (gyp has no per-file flags); the addon picks a table at run time from
# the CPU's features, so the binary runs on any x86-64. Other architectures build the portable path only.
{
  "target_defaults": {
    "cflags_cc": ["-std=gnu++17", "-O3", "-fPIC", "-ffp-contract=fast", "-fno-math-errno", "-fvisibility=hidden"],
    "cflags!": ["-O2"],
    "cflags_cc!": ["-O2"],
    "xcode_settings": {
      "OTHER_CPLUSPLUSFLAGS": ["-std=gnu++17", "-O3", "-ffp-contract=fast", "-fno-math-errno"],
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
    },
    "conditions": [
      ["target_arch=='x64'", { "defines": ["SDTS_X64"] }]
    ]
  },
  "targets": [
    {
      "target_name": "sdts_kernels_generic",
      "type": "static_library",
      "sources": ["native/kernels_generic.cc"]
    },
    {
      "target_name": "sdts_native",
      "sources": ["native/addon.cc", "native/pool.cc"],
      "dependencies": ["sdts_kernels_generic"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["sdts_kernels_avx2", "sdts_kernels_avx512"] }],
        ["OS=='linux'", { "libraries": ["-pthread"], "cflags_cc": ["-pthread"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "sdts_kernels_avx2",
          "type": "static_library",
          "sources": ["native/kernels_avx2.cc"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma", "-mf16c"] }
        },
        {
          "target_name": "sdts_kernels_avx512",
          "type": "static_library",
          "sources": ["native/kernels_avx512.cc"],
          "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma", "-mavx2", "-mf16c",
                        "-mavx512bf16", "-mprefer-vector-width=512", "-Wno-maybe-uninitialized"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma",
                                                      "-mavx2", "-mf16c", "-mavx512bf16", "-mprefer-vector-width=512"] }
        }
      ]
    }]
  ]
}
