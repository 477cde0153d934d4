// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc-trace: runs a program with librtalloc_trace_capture.so preloaded, so that every heap
// operation of it, and of every process it starts, is recorded as an allocation trace
// (docs/trace-format.md, docs/tools.md).
//
//   rtalloc-trace -o FILE [--force] [--no-children] [--library PATH] -- PROGRAM [ARGS...]
//
// The program's own process writes FILE; every other process (forked or exec'd) writes FILE.PID.
// When FILE ends in .xz or .zst, the traces are recorded as text first and compressed once the
// program has exited. Files of that name already there are refused (--force removes them), so a
// run never overwrites or mixes with another's; the files this run wrote carry its name in their
// header, and are listed with their program, process id and operations. The exit status is the
// program's.
#include <lzma.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
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

// The capture library: where `cmake --install` puts it relative to this program
// (RTALLOC_TRACE_INSTALLED_CAPTURE, e.g. ../lib/librtalloc_trace_capture.so), else beside this
// program, where the build puts it.
std::string default_library() {
  const fs::path self = fs::read_symlink("/proc/self/exe");
  const fs::path installed = RTALLOC_TRACE_INSTALLED_CAPTURE;
  const fs::path beside = self.parent_path() / "librtalloc_trace_capture.so";
  for (const fs::path& candidate :
       {installed.is_absolute() ? installed : self.parent_path() / installed, beside}) {
    if (fs::exists(candidate)) return candidate.lexically_normal().string();
  }
  return beside.string();
}

// The files of a run that records into `stem` (the output's name without .xz or .zst): stem,
// stem.PID and stem.PID.N (or stem.N, a later image of the first process), each also with the
// compression suffix once compressed.
bool of_the_family(const std::string& name, const std::string& stem) {
  if (name.rfind(stem, 0) != 0) return false;
  std::string_view rest = std::string_view(name).substr(stem.size());
  for (const std::string_view suffix : {".xz", ".zst"}) {
    if (rest.ends_with(suffix)) {
      rest.remove_suffix(suffix.size());
      break;
    }
  }
  while (!rest.empty()) {
    if (rest.size() < 2 || rest[0] != '.' || !std::isdigit(static_cast<unsigned char>(rest[1]))) {
      return false;
    }
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0])))
      rest.remove_prefix(1);
  }
  return true;
}

std::vector<fs::path> family_of(const fs::path& text_output) {
  std::vector<fs::path> found;
  const std::string stem = text_output.filename().string();
  for (const fs::directory_entry& entry : fs::directory_iterator(text_output.parent_path())) {
    if (entry.is_regular_file() && of_the_family(entry.path().filename().string(), stem)) {
      found.push_back(entry.path());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// What one trace file holds, from its text: the header's words and the count of operations.
struct TraceFile {
  fs::path path;
  std::string program = "-", pid = "-", run;
  std::uint64_t operations = 0;
};

TraceFile describe(const fs::path& path, const std::string& text) {
  TraceFile file;
  file.path = path;
  const std::string_view header = std::string_view(text).substr(0, text.find('\n'));
  for (std::size_t at = 0; at < header.size();) {
    const std::size_t end = std::min(header.find(' ', at), header.size());
    const std::string_view word = header.substr(at, end - at);
    const auto value = [&](std::string_view key) { return std::string(word.substr(key.size())); };
    if (word.starts_with("program=")) file.program = value("program=");
    if (word.starts_with("pid=")) file.pid = value("pid=");
    if (word.starts_with("run=")) file.run = value("run=");
    at = end + 1;
  }
  for (std::size_t at = 0; at < text.size();) {
    const char kind = text[at];
    file.operations += kind == 'a' || kind == 'f' || kind == 'r' ? 1 : 0;
    const std::size_t end = text.find('\n', at);
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return file;
}

// Runs `command` with the capture library and returns its wait status. `run` names this run in
// every file's header; `only_first` leaves every other process unrecorded.
int run_traced(const std::vector<std::string>& command, const std::string& library,
               const fs::path& output, const std::string& run, bool only_first) {
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
    setenv("RTALLOC_TRACE_RUN", run.c_str(), 1);
    setenv("RTALLOC_TRACE_ONLY_ROOT", only_first ? "1" : "0", 1);
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
  bool force = false;
  bool no_children = false;
  std::vector<std::string> command;
  app.add_option("-o,--output", output,
                 "the trace of the program's process; other processes write OUTPUT.PID. A name "
                 "ending in .xz or .zst is compressed after the program exits. Refused when "
                 "files of that name are there, unless --force")
      ->required();
  app.add_flag("--force", force, "remove the files of an earlier run with that name first");
  app.add_flag("--no-children", no_children,
               "record only the process this tool starts (and the programs it execs), not "
               "the processes it forks");
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
    if (!fs::is_directory(text_output.parent_path())) {
      throw std::runtime_error("no folder " + text_output.parent_path().string() +
                               " to write the traces into");
    }
    // Files of that name from an earlier run would be overwritten or mixed with this run's.
    const std::vector<fs::path> earlier = family_of(text_output);
    if (!earlier.empty() && !force) {
      const std::string more = earlier.size() == 1 ? ""
                                                   : " with " + std::to_string(earlier.size() - 1) +
                                                         " more files of that name";
      fs::path shown = text_output;
      shown += compression;
      if (!fs::exists(shown)) shown = earlier.front();
      throw std::runtime_error(shown.string() + " is there" + more +
                               ": this run would overwrite or mix with it; --force removes it "
                               "first");
    }
    for (const fs::path& path : earlier) fs::remove(path);

    // The run's name, in every file it writes: this process's id and the time.
    const std::string run =
        std::to_string(getpid()) + "-" +
        std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    const int status = run_traced(command, library, text_output, run, no_children);
    std::vector<TraceFile> written;
    for (const fs::path& path : family_of(text_output)) {
      const std::string text = read_all(path);
      TraceFile file = describe(path, text);
      if (file.run != run) continue;  // another run's, started meanwhile
      if (!compression.empty()) {
        const std::string packed = compression == ".xz" ? compress_xz(text) : compress_zstd(text);
        fs::path packed_path = path;
        packed_path += compression;
        std::ofstream(packed_path, std::ios::binary | std::ios::trunc) << packed;
        fs::remove(path);
        file.path = packed_path;
      }
      written.push_back(std::move(file));
    }
    if (written.empty()) {
      std::fprintf(stderr, "rtalloc-trace: no trace was written (no heap operation recorded)\n");
    } else {
      std::fprintf(stderr, "rtalloc-trace: wrote %zu trace%s\n", written.size(),
                   written.size() == 1 ? "" : "s");
      for (const TraceFile& file : written) {
        std::fprintf(stderr, "  %s: program %s, pid %s, %llu operation%s\n", file.path.c_str(),
                     file.program.c_str(), file.pid.c_str(),
                     static_cast<unsigned long long>(file.operations),
                     file.operations == 1 ? "" : "s");
      }
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtalloc-trace: %s\n", e.what());
    return 1;
  }
}
