// SPDX-License-Identifier: MIT OR Apache-2.0
#include "backends.hpp"

#include "replay_config.hpp"

namespace rtalloc::replay {

#if __has_include(<rtalloc/flex_tlsf.hpp>) && __has_include(<rtalloc/hosted/os_pages.hpp>)
constexpr bool flex_available = true;
#else
constexpr bool flex_available = false;
#endif

const std::vector<Backend>& all_backends() {
  static const std::vector<Backend> backends = [] {
    const auto library = [](std::string name, std::string description, const char* path) {
      Backend b{std::move(name), std::move(description), "", path, path[0] != '\0'};
      return b;
    };
    return std::vector<Backend>{
        {"rtalloc", "rtalloc::Tlsf<> (33 x 32 classes), one pool", "default", "", true},
        {"rtalloc-small", "rtalloc::TlsfSmall (10 x 16 classes), 64 KiB pools", "small", "", true},
        {"rtalloc-sl16", "rtalloc::Tlsf with 16 classes per power of two, one pool", "sl16", "",
         true},
        {"rtalloc-sl64", "rtalloc::Tlsf with 64 classes per power of two, one pool", "sl64", "",
         true},
        {"rtalloc-flex", "rtalloc::FlexTlsf<OsPages>: grows by mapping pages", "flex", "",
         flex_available},
        library("rtalloc-malloc", "rtalloc's malloc library (LD_PRELOAD)",
                RTALLOC_REPLAY_RTALLOC_MALLOC),
        {"glibc", "the C library's malloc", "", "", true},
        library("jemalloc", "jemalloc (LD_PRELOAD)", RTALLOC_REPLAY_JEMALLOC),
        library("mimalloc", "mimalloc (LD_PRELOAD)", RTALLOC_REPLAY_MIMALLOC),
        library("tcmalloc", "tcmalloc, gperftools' minimal build (LD_PRELOAD)",
                RTALLOC_REPLAY_TCMALLOC),
    };
  }();
  return backends;
}

const Backend* find_backend(std::string_view name) {
  for (const Backend& b : all_backends()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

}  // namespace rtalloc::replay
