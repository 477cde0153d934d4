// SPDX-License-Identifier: MIT OR Apache-2.0
#include "trace/trace.hpp"

#if RTALLOC_TRACE_HAVE_LZMA
#include <lzma.h>
#endif
#if RTALLOC_TRACE_HAVE_ZSTD
#include <zstd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace rtalloc::trace {
namespace {

// --- Reading and decompressing ------------------------------------------------------------------

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

std::string read_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw std::runtime_error(path + ": is a directory, not a trace");
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::string bytes;
  char chunk[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) bytes.append(chunk, got);
  if (std::ferror(file.get())) throw std::runtime_error(path + ": read error");
  return bytes;
}

bool has_prefix(std::string_view bytes, std::string_view magic) {
  return bytes.substr(0, magic.size()) == magic;
}

constexpr std::string_view xz_magic{"\xFD\x37\x7A\x58\x5A\x00", 6};
constexpr std::string_view zstd_magic{"\x28\xB5\x2F\xFD", 4};

#if RTALLOC_TRACE_HAVE_LZMA
std::string xz_error_text(lzma_ret ret) {
  switch (ret) {
    case LZMA_MEM_ERROR:
      return "out of memory";
    case LZMA_FORMAT_ERROR:
      return "not in xz format";
    case LZMA_OPTIONS_ERROR:
      return "unsupported xz options";
    case LZMA_DATA_ERROR:
      return "compressed data is corrupt";
    case LZMA_BUF_ERROR:
      return "compressed data is truncated";
    default:
      return "liblzma error " + std::to_string(static_cast<int>(ret));
  }
}

std::string decompress_xz(std::string_view compressed, const std::string& path) {
  lzma_stream stream = LZMA_STREAM_INIT;
  lzma_ret ret = lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED);
  if (ret != LZMA_OK) throw std::runtime_error(path + ": xz: " + xz_error_text(ret));
  struct StreamEnd {
    lzma_stream* stream;
    ~StreamEnd() { lzma_end(stream); }
  } stream_end{&stream};

  // Text traces compress about 20:1; start there and double when the output fills up.
  std::string out(std::max<std::size_t>(compressed.size() * 24, std::size_t{1} << 20), '\0');
  stream.next_in = reinterpret_cast<const std::uint8_t*>(compressed.data());
  stream.avail_in = compressed.size();
  stream.next_out = reinterpret_cast<std::uint8_t*>(out.data());
  stream.avail_out = out.size();
  for (;;) {
    ret = lzma_code(&stream, LZMA_FINISH);
    if (ret == LZMA_STREAM_END) break;
    if (ret != LZMA_OK) throw std::runtime_error(path + ": xz: " + xz_error_text(ret));
    if (stream.avail_out == 0) {
      const std::size_t used = out.size();
      out.resize(used * 2);
      stream.next_out = reinterpret_cast<std::uint8_t*>(out.data() + used);
      stream.avail_out = out.size() - used;
    }
  }
  out.resize(static_cast<std::size_t>(stream.total_out));
  return out;
}
#else
// Built without liblzma (for example a -m32 build on a 64-bit system that has no 32-bit
// liblzma): the xz command decompresses the file.
std::string decompress_xz(std::string_view, const std::string& path) {
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string command = "xz -dc -- " + quoted;
  struct PipeCloser {
    void operator()(std::FILE* f) const noexcept { pclose(f); }
  };
  std::unique_ptr<std::FILE, PipeCloser> pipe(popen(command.c_str(), "r"));
  if (!pipe) throw std::runtime_error(path + ": xz: cannot run the xz command");
  std::string out;
  char chunk[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof chunk, pipe.get())) > 0) out.append(chunk, got);
  if (pclose(pipe.release()) != 0) {
    throw std::runtime_error(path + ": xz: the xz command failed (is xz-utils installed?)");
  }
  return out;
}
#endif

#if RTALLOC_TRACE_HAVE_ZSTD
std::string decompress_zstd(std::string_view compressed, const std::string& path) {
  struct StreamFree {
    void operator()(ZSTD_DStream* s) const noexcept { ZSTD_freeDStream(s); }
  };
  std::unique_ptr<ZSTD_DStream, StreamFree> stream(ZSTD_createDStream());
  if (!stream) throw std::runtime_error(path + ": zstd: out of memory");
  std::string out;
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  std::size_t last = 0;
  while (in.pos < in.size) {
    ZSTD_outBuffer buffer{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(stream.get(), &buffer, &in);
    if (ZSTD_isError(last)) {
      throw std::runtime_error(path + ": zstd: " + ZSTD_getErrorName(last));
    }
    out.append(chunk.data(), buffer.pos);
  }
  // A frame that ended early leaves the decoder expecting more input.
  if (last != 0) throw std::runtime_error(path + ": zstd: compressed data is truncated");
  return out;
}
#endif

// --- Parsing ------------------------------------------------------------------------------------

// Hand-rolled because a trace has millions of lines of the same four shapes: the loop below does
// one pass over the bytes, with no allocation per line except the growth of the output vectors.
class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : rest_(text), source_(source) {}

  Trace run() {
    Trace trace;
    if (!next_line()) {
      line_number_ = 1;
      fail("empty file: expected the header line '# rtalloc-trace v1'");
    }
    parse_header(trace);
    // A rough guess (about 12 bytes a line) saves most of the vector's regrowth.
    trace.ops.reserve(rest_.size() / 12);
    while (next_line()) {
      if (line_.empty() || line_[0] == '#') continue;
      trace.ops.push_back(parse_op());
    }
    trace.max_id = static_cast<std::uint32_t>(live_.size() - 1);
    return trace;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(std::string(source_) + ":" + std::to_string(line_number_) + ": " +
                             what);
  }

  // Moves line_ to the next line (without its '\n' or a trailing '\r'); false at the end. Every
  // line ends in '\n': a last line without one was cut off (a recording that did not finish, a
  // file copied in part), and what is left of it may still parse, with a wrong number.
  bool next_line() {
    if (rest_.empty()) return false;
    const std::size_t end = rest_.find('\n');
    line_ = rest_.substr(0, end);
    rest_ = end == std::string_view::npos ? std::string_view{} : rest_.substr(end + 1);
    if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    ++line_number_;
    pos_ = 0;
    if (end == std::string_view::npos) {
      fail("the last line has no newline at its end: the trace is cut short");
    }
    return true;
  }

  void parse_header(Trace& trace) {
    constexpr std::string_view magic = "# rtalloc-trace ";
    if (!has_prefix(line_, magic)) {
      fail("not an rtalloc trace: the first line must start with '# rtalloc-trace v1'");
    }
    std::string_view words = line_.substr(magic.size());
    std::size_t end = words.find(' ');
    const std::string_view version = words.substr(0, end);
    if (version != "v1") fail("unsupported trace version '" + std::string(version) + "'");
    while (end != std::string_view::npos) {
      words = words.substr(end + 1);
      end = words.find(' ');
      const std::string_view word = words.substr(0, end);
      if (has_prefix(word, "program=")) trace.program = word.substr(8);
    }
  }

  Op parse_op() {
    const char kind = line_.size() == 1 || line_[1] == ' ' ? line_[0] : '?';
    pos_ = 1;
    Op op{};
    switch (kind) {
      case 'a':
        op.kind = Op::Kind::allocate;
        op.id = new_block_id("block id");
        op.size = number("size");
        op.align = alignment();
        break;
      case 'f':
        op.kind = Op::Kind::free;
        op.id = live_block_id("free");
        break;
      case 'r':
        op.kind = Op::Kind::reallocate;
        op.id = live_block_id("resize");
        op.new_id = new_block_id("new block id");
        op.size = number("size");
        if (op.size == 0) fail("resize to 0 bytes (a trace records realloc(p, 0) as 'f')");
        break;
      default:
        fail("unknown operation '" + std::string(line_.substr(0, line_.find(' '))) +
             "' (expected a, f, r or a '#' comment)");
    }
    if (pos_ != line_.size()) fail("unexpected text after the operation: '" + rest_of_line() + "'");
    return op;
  }

  std::string rest_of_line() const { return std::string(line_.substr(pos_)); }

  // Reads " <decimal>" from the current position.
  std::uint64_t number(const char* field) {
    if (pos_ >= line_.size() || line_[pos_] != ' ') fail(std::string("missing ") + field);
    ++pos_;
    const std::size_t start = pos_;
    std::uint64_t value = 0;
    while (pos_ < line_.size() && line_[pos_] >= '0' && line_[pos_] <= '9') {
      const auto digit = static_cast<std::uint64_t>(line_[pos_] - '0');
      if (value > (UINT64_MAX - digit) / 10) fail(std::string(field) + " is too large");
      value = value * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) fail(std::string("bad ") + field + ": '" + rest_of_line() + "'");
    return value;
  }

  std::uint32_t id_field(const char* field) {
    const std::uint64_t id = number(field);
    if (id == 0 || id > UINT32_MAX - 1)
      fail(std::string(field) + " out of range: " + std::to_string(id));
    return static_cast<std::uint32_t>(id);
  }

  // A block coming into being must take the next id in sequence.
  std::uint32_t new_block_id(const char* field) {
    const std::uint32_t id = id_field(field);
    if (id != live_.size()) {
      fail(std::string(field) + " " + std::to_string(id) + " out of order: expected " +
           std::to_string(live_.size()) + " (ids are assigned 1, 2, 3, ... as blocks appear)");
    }
    live_.push_back(1);
    return id;
  }

  // A free or resize must name a block that is live; it is not live afterwards.
  std::uint32_t live_block_id(const char* what) {
    const std::uint32_t id = id_field("block id");
    if (id >= live_.size() || live_[id] == 0) {
      fail(std::string(what) + " of block " + std::to_string(id) + ", which is not live");
    }
    live_[id] = 0;
    return id;
  }

  std::uint32_t alignment() {
    const std::uint64_t align = number("alignment");
    if (align > UINT32_MAX || (align & (align - 1)) != 0) {
      fail("bad alignment " + std::to_string(align) + ": must be 0 or a power of two below 2^32");
    }
    return static_cast<std::uint32_t>(align);
  }

  std::string_view rest_;
  std::string_view line_;
  std::string_view source_;
  std::size_t line_number_ = 0;
  std::size_t pos_ = 0;
  // live_[id] != 0 while block id is live; slot 0 is unused, so live_.size() is the next id.
  std::vector<std::uint8_t> live_ = std::vector<std::uint8_t>(1, 0);
};

}  // namespace

Trace parse(std::string_view text, std::string_view source) { return Parser(text, source).run(); }

Trace load(const std::string& path) {
  const std::string bytes = read_file(path);
  if (has_prefix(bytes, xz_magic)) return parse(decompress_xz(bytes, path), path);
  if (has_prefix(bytes, zstd_magic)) {
#if RTALLOC_TRACE_HAVE_ZSTD
    return parse(decompress_zstd(bytes, path), path);
#else
    throw std::runtime_error(path +
                             ": zstd-compressed trace, but this build has no zstd support "
                             "(Debian: libzstd-dev); decompress it or use xz");
#endif
  }
  return parse(bytes, path);
}

Peak peak_live(const Trace& trace) { return peak_live(trace.ops, trace.max_id); }

Peak peak_live(std::span<const Op> ops, std::uint32_t max_id) {
  std::vector<std::uint64_t> size_of(std::size_t{max_id} + 1, 0);
  const auto slot = [&](std::uint32_t id) -> std::uint64_t& {
    if (id > max_id) throw std::invalid_argument("trace op names id beyond max_id");
    return size_of[id];
  };
  Peak peak;
  std::uint64_t live_bytes = 0;
  std::uint64_t live_blocks = 0;
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::Kind::allocate:
        slot(op.id) = op.size;
        live_bytes += op.size;
        ++live_blocks;
        break;
      case Op::Kind::free:
        live_bytes -= slot(op.id);
        --live_blocks;
        break;
      case Op::Kind::reallocate:
        live_bytes -= slot(op.id);
        slot(op.new_id) = op.size;
        live_bytes += op.size;
        break;
    }
    if (live_bytes > peak.peak_live_bytes) peak = {live_bytes, live_blocks};
  }
  return peak;
}

}  // namespace rtalloc::trace
