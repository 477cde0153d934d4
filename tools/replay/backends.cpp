// SPDX-License-Identifier: MIT OR Apache-2.0
#include "backends.hpp"

#include <filesystem>
#include <string>
#include <system_error>

#include "heap_configs.hpp"
#include "replay_config.hpp"

namespace rtalloc::replay {

#if __has_include(<rtalloc/flex_tlsf.hpp>) && __has_include(<rtalloc/hosted/os_pages.hpp>)
constexpr bool flex_available = true;
#else
constexpr bool flex_available = false;
#endif

// "Tlsf<33, 32>" and the like: the configuration's template arguments, from the type itself.
template <class Heap>
std::string tlsf_name() {
  return "rtalloc::Tlsf<" + std::to_string(Heap::first_level_count) + ", " +
         std::to_string(Heap::second_level_count) + ">";
}

namespace fs = std::filesystem;

// rtalloc's malloc library: for an installed rtalloc-replay the one installed with it, found from
// the program's own folder; else the build tree's. Empty when neither exists.
std::string rtalloc_malloc_library() {
  const fs::path installed = RTALLOC_REPLAY_INSTALLED_RTALLOC_MALLOC;
  if (!installed.empty()) {
    std::error_code error;
    const fs::path self = fs::read_symlink("/proc/self/exe", error);
    const fs::path candidate = installed.is_absolute() ? installed : self.parent_path() / installed;
    if (!error && fs::exists(candidate, error)) return candidate.lexically_normal().string();
  }
  std::error_code error;
  const fs::path built = RTALLOC_REPLAY_RTALLOC_MALLOC;
  return !built.empty() && fs::exists(built, error) ? built.string() : std::string();
}

const std::vector<Backend>& all_backends() {
  static const std::vector<Backend> backends = [] {
    // A library is available when it is there now, not only when the build found it.
    const auto library = [](std::string name, std::string description, std::string path) {
      std::error_code error;
      const bool there = !path.empty() && fs::exists(path, error);
      Backend b{std::move(name), std::move(description), "", std::move(path), there};
      return b;
    };
    return std::vector<Backend>{
        {"rtalloc", tlsf_name<DefaultHeap>() + ", the default TLSF heap, over one pool", "default",
         "", true},
        {"rtalloc-small",
         "rtalloc::TlsfSmall = " + tlsf_name<SmallHeap>() +
             ", the microcontroller heap: blocks under 64 KiB, over pools of 64 KiB",
         "small", "", true},
        {"rtalloc-sl16", tlsf_name<Sl16Heap>() + ": 16 classes per power of two, over one pool",
         "sl16", "", true},
        {"rtalloc-sl64", tlsf_name<Sl64Heap>() + ": 64 classes per power of two, over one pool",
         "sl64", "", true},
        {"rtalloc-slabs",
         "rtalloc::SmallObjects<" + tlsf_name<DefaultHeap>() + ">: requests up to " +
             std::to_string(SlabsHeap::max_small) + " bytes from size-class slabs of " +
             std::to_string(SlabsHeap::slab_bytes / 1024) +
             " KiB, the rest from the default "
             "TLSF heap, over one pool",
         "slabs", "", true},
        {"rtalloc-flex",
         "rtalloc::FlexTlsf<OsPages>: the TLSF heap with slabs, growing by mapping pages", "flex",
         "", flex_available},
        library("rtalloc-malloc",
                "librtalloc_malloc.so: rtalloc's drop-in malloc, one FlexTlsf heap per thread "
                "with slabs for requests up to 1 KiB (LD_PRELOAD)",
                rtalloc_malloc_library()),
        {"glibc", "glibc's malloc (ptmalloc), the C library's own", "", "", true},
        library("jemalloc", "jemalloc: size-class arenas with thread caches (LD_PRELOAD)",
                RTALLOC_REPLAY_JEMALLOC),
        library("mimalloc", "mimalloc: free lists per page, with thread-local heaps (LD_PRELOAD)",
                RTALLOC_REPLAY_MIMALLOC),
        library("tcmalloc",
                "tcmalloc, gperftools' minimal build: size classes with thread caches "
                "(LD_PRELOAD)",
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
