// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc-trace: runs a program with librtalloc_trace_capture.so preloaded, so that every heap
// operation of it, and of every process it starts, is recorded as an allocation trace
// (docs/trace-format.md, docs/tools.md).
//
//   rtalloc-trace -o FILE [--library PATH] -- PROGRAM [ARGS...]
//
// The program's own process writes FILE; every other process (forked or exec'd) writes FILE.PID.
// When FILE ends in .xz or .zst, the traces are recorded as text first and compressed once the
// program has exited. The exit status is the program's.
#include <lzma.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#if RTALLOC_TRACE_HAVE_ZSTD
#include <zstd.h>
#endif

namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string compress_xz(const std::string& text) {
  std::string out(lzma_stream_buffer_bound(text.size()), '\0');
  std::size_t used = 0;
  const lzma_ret ret = lzma_easy_buffer_encode(
      6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
      reinterpret_cast<std::uint8_t*>(out.data()), &used, out.size());
  if (ret != LZMA_OK) throw std::runtime_error("xz compression failed");
  out.resize(used);
  return out;
}

std::string compress_zstd(const std::string& text) {
#if RTALLOC_TRACE_HAVE_ZSTD
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const std::size_t used = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 9);
  if (ZSTD_isError(used)) throw std::runtime_error("zstd compression failed");
  out.resize(used);
  return out;
#else
  (void)text;
  throw std::runtime_error("this build has no zstd support (Debian: libzstd-dev); use .xz");
#endif
}

// The library beside this program, where the build and `cmake --install` put it.
std::string default_library() {
  const fs::path self = fs::read_symlink("/proc/self/exe");
  for (const fs::path& candidate :
       {self.parent_path() / "librtalloc_trace_capture.so",
        self.parent_path().parent_path() / "lib" / "librtalloc_trace_capture.so"}) {
    if (fs::exists(candidate)) return candidate.string();
  }
  return (self.parent_path() / "librtalloc_trace_capture.so").string();
}

// Runs `command` with the capture library and returns its wait status.
int run_traced(const std::vector<std::string>& command, const std::string& library,
               const fs::path& output) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    std::string preload = library;
    if (const char* existing = std::getenv("LD_PRELOAD"); existing != nullptr && *existing) {
      preload += std::string(":") + existing;
    }
    setenv("LD_PRELOAD", preload.c_str(), 1);
    setenv("RTALLOC_TRACE_FILE", output.c_str(), 1);
    setenv("RTALLOC_TRACE_ROOT_PID", std::to_string(getpid()).c_str(), 1);
    std::vector<char*> argv;
    for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "rtalloc-trace: cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Records every heap operation of a program as an rtalloc allocation trace.",
               "rtalloc-trace"};
  std::string output;
  std::string library;
  std::vector<std::string> command;
  app.add_option("-o,--output", output,
                 "the trace of the program's process; other processes write OUTPUT.PID. A name "
                 "ending in .xz or .zst is compressed after the program exits")
      ->required();
  app.add_option("--library", library, "the capture library (default: the one beside this tool)");
  app.add_option("command", command, "the program and its arguments, after --")->required();
  // Every error is one line on stderr.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "rtalloc-trace: " + std::string(e.what()) + "\n";
  });
  try {
    // Without --, the program's own options would be read as this tool's (or refused as unknown).
    const auto has = [&](std::string_view word) {
      return std::find(argv + 1, argv + argc, word) != argv + argc;
    };
    if (!has("--") && !has("-h") && !has("--help")) {
      throw CLI::ValidationError("command",
                                 "put -- before the program: rtalloc-trace -o FILE -- PROGRAM "
                                 "[ARGS...]");
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (library.empty()) library = default_library();
    if (!fs::exists(library)) throw std::runtime_error("no capture library at " + library);
    library = fs::absolute(library).string();

    std::string compression;
    fs::path text_output = fs::absolute(output);
    for (const char* suffix : {".xz", ".zst"}) {
      if (text_output.extension() == suffix) {
        compression = suffix;
        text_output.replace_extension();
      }
    }
    fs::remove(text_output);
    // Every file this run wrote: OUTPUT and OUTPUT.PID[.N] that were not there before. (A process
    // never reuses an existing name: the library opens with O_EXCL and adds .N.)
    const std::string stem = text_output.filename().string();
    const auto ours = [&] {
      std::vector<fs::path> found;
      for (const fs::directory_entry& entry : fs::directory_iterator(text_output.parent_path())) {
        const std::string name = entry.path().filename().string();
        const bool match = name == stem || (name.rfind(stem + ".", 0) == 0 &&
                                            name.find_first_not_of("0123456789.", stem.size()) ==
                                                std::string::npos);
        if (match && entry.is_regular_file()) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      return found;
    };
    const std::vector<fs::path> before = ours();
    const int status = run_traced(command, library, text_output);
    std::vector<fs::path> written;
    for (const fs::path& path : ours()) {
      if (!std::binary_search(before.begin(), before.end(), path)) written.push_back(path);
    }
    std::sort(written.begin(), written.end());
    for (fs::path& path : written) {
      if (!compression.empty()) {
        const std::string text = read_all(path);
        const std::string packed = compression == ".xz" ? compress_xz(text) : compress_zstd(text);
        fs::path packed_path = path;
        packed_path += compression;
        std::ofstream(packed_path, std::ios::binary | std::ios::trunc) << packed;
        fs::remove(path);
        path = packed_path;
      }
      std::fprintf(stderr, "rtalloc-trace: wrote %s\n", path.c_str());
    }
    if (written.empty()) std::fprintf(stderr, "rtalloc-trace: no trace was written\n");
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtalloc-trace: %s\n", e.what());
    return 1;
  }
}
