# CPU build of the addon with node-gyp: what node-gyp-build runs when no
# prebuild fits. The source list is shared with CMakeLists.txt through
# native/sources.json. OpenBLAS is opened at run time by soname
# (libopenblas.so.0, native/cpu/blas_dynload.cpp); NODETORCH_BLAS=static links
# libopenblas.a instead, NODETORCH_BLAS=fallback leaves GEMM on the built-in
# kernel (native/find-openblas.js decides).
{
  "variables": {
    "blas_mode%": "<!(node native/find-openblas.js mode)",
    "openblas_lib%": "<!(node native/find-openblas.js lib)",
    "openblas_inc%": "<!(node native/find-openblas.js inc)"
  },
  "targets": [
    {
      "target_name": "nodetorch",
      "sources": [
        "<!@(node -p \"const s=require('./native/sources.json');s.addon.concat(s.cpu,s.cudaLoader).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_EXPERIMENTAL", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fexceptions", "-frtti", "-fvisibility=hidden", "-Wall", "-Wno-unused-parameter"],
      "conditions": [
        ["blas_mode=='dlopen'", {
          "defines": ["NT_OPENBLAS_DLOPEN=1"],
          "libraries": ["-ldl"]
        }],
        ["blas_mode=='static' and openblas_lib!=''", {
          "defines": ["NT_HAVE_OPENBLAS=1"],
          "include_dirs": ["<(openblas_inc)"],
          "libraries": ["<(openblas_lib)", "-lpthread"]
        }],
        ["OS=='linux'", { "ldflags": ["-Wl,--exclude-libs,ALL"], "libraries": ["-ldl"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_ENABLE_CPP_RTTI": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } }
        }]
      ]
    }
  ]
}
