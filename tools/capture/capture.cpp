// SPDX-License-Identifier: MIT OR Apache-2.0
// librtalloc_trace_capture.so: loaded with LD_PRELOAD, records every heap operation of a program
// as an allocation trace (docs/trace-format.md). `rtalloc-trace` sets it up; docs/tools.md says
// how to use it and what it guarantees.
//
// How it stays correct:
// - One global order: ids and lines are produced under one lock. A free is written (and its
//   pointer forgotten) before the memory is handed back, and an allocation is written after it
//   returns, so a line for an address never precedes the line that released it elsewhere. A
//   reallocate holds the lock across the call, since it releases and acquires in one step.
// - Calls the allocator makes to itself, and the calloc dlsym makes while the real functions are
//   being looked up, pass through without being written (a per-thread flag). Before the real
//   functions are known, requests are served from a small static arena whose blocks are never
//   given back.
// - Operations made before the output file can be opened are kept in the buffer, which is
//   written out when it fills, when the program exits, and before an exec.
// - fork: the child starts a file of its own, opening with one `a` line per block it inherited
//   (with fresh ids), so that its trace is complete; a child that only execs writes nothing. With
//   RTALLOC_TRACE_ONLY_ROOT=1 (rtalloc-trace --no-children) only the process rtalloc-trace
//   started is recorded, through the programs it execs; its children record nothing.
// - exec: the new program loads the library again and writes a file of its own.
// - exit: the buffer is written by a destructor, and by _exit, which skips destructors. A program
//   killed by a signal loses what is still in the buffer.
//
// The library never allocates from the heap it records: its buffer is static and its table of
// live blocks lives in pages from mmap.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" char* program_invocation_short_name;

namespace {

// --- The real allocator -------------------------------------------------------------------------

using MallocFn = void* (*)(std::size_t);
using FreeFn = void (*)(void*);
using CallocFn = void* (*)(std::size_t, std::size_t);
using ReallocFn = void* (*)(void*, std::size_t);
using MemalignFn = void* (*)(std::size_t, std::size_t);
using PosixMemalignFn = int (*)(void**, std::size_t, std::size_t);
using UsableSizeFn = std::size_t (*)(void*);
using ExecveFn = int (*)(const char*, char* const[], char* const[]);
using ExecvpeFn = int (*)(const char*, char* const[], char* const[]);

struct RealFunctions {
  MallocFn malloc;
  FreeFn free;
  CallocFn calloc;
  ReallocFn realloc;
  MemalignFn memalign;
  PosixMemalignFn posix_memalign;
  MemalignFn aligned_alloc;
  MallocFn valloc;
  MallocFn pvalloc;
  UsableSizeFn usable_size;
  ExecveFn execve;
  ExecvpeFn execvpe;
  [[noreturn]] void (*_exit)(int);
};
RealFunctions real{};
bool resolved = false;

// Set while this thread is inside a hook: nested calls pass straight through.
__thread int in_hook __attribute__((tls_model("initial-exec"))) = 0;

// --- The arena for requests made before the real functions are known -----------------------------

alignas(64) unsigned char bootstrap_arena[1 << 16];
std::size_t bootstrap_used = 0;

bool from_bootstrap(const void* p) {
  const auto* b = static_cast<const unsigned char*>(p);
  return b >= bootstrap_arena && b < bootstrap_arena + sizeof bootstrap_arena;
}

// Each block is preceded by its size; memory is zero (static), which serves calloc.
void* bootstrap_allocate(std::size_t size, std::size_t align) {
  if (align < 16) align = 16;
  std::size_t start = (bootstrap_used + sizeof(std::size_t) + align - 1) & ~(align - 1);
  if (start + size > sizeof bootstrap_arena) return nullptr;
  std::memcpy(bootstrap_arena + start - sizeof(std::size_t), &size, sizeof size);
  bootstrap_used = start + size;
  return bootstrap_arena + start;
}

std::size_t bootstrap_size(const void* p) {
  std::size_t size = 0;
  std::memcpy(&size, static_cast<const unsigned char*>(p) - sizeof size, sizeof size);
  return size;
}

template <class Fn>
void look_up(Fn& fn, const char* name) {
  fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

void resolve() {
  if (resolved) return;
  ++in_hook;
  RealFunctions found{};
  look_up(found.malloc, "malloc");
  look_up(found.free, "free");
  look_up(found.calloc, "calloc");
  look_up(found.realloc, "realloc");
  look_up(found.memalign, "memalign");
  look_up(found.posix_memalign, "posix_memalign");
  look_up(found.aligned_alloc, "aligned_alloc");
  look_up(found.valloc, "valloc");
  look_up(found.pvalloc, "pvalloc");
  look_up(found.usable_size, "malloc_usable_size");
  look_up(found.execve, "execve");
  look_up(found.execvpe, "execvpe");
  look_up(found._exit, "_exit");
  real = found;
  resolved = real.malloc != nullptr && real.free != nullptr;
  --in_hook;
}

// --- The table of live blocks: address -> id, size, alignment -----------------------------------

struct Entry {
  std::uintptr_t address;  // 0: empty slot
  std::uint64_t id;
  std::uint64_t size;
  std::uint64_t align;
};

// Open addressing with linear probing; deletion shifts later entries back, so there are no
// tombstones. Its pages come from mmap, never from the heap being recorded.
class BlockTable {
 public:
  bool insert(std::uintptr_t address, std::uint64_t id, std::uint64_t size, std::uint64_t align) {
    if ((count_ + 1) * 2 > capacity_ && !grow()) return false;
    place({address, id, size, align});
    ++count_;
    return true;
  }

  // Removes `address` and returns its entry (address 0 if it was not there).
  Entry remove(std::uintptr_t address) {
    if (capacity_ == 0) return {};
    std::size_t i = slot_of(address);
    while (entries_[i].address != address) {
      if (entries_[i].address == 0) return {};
      i = (i + 1) & (capacity_ - 1);
    }
    const Entry found = entries_[i];
    // Shift back every entry of the run that the hole would cut off from its home slot.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & (capacity_ - 1); entries_[j].address != 0;
         j = (j + 1) & (capacity_ - 1)) {
      const std::size_t home = slot_of(entries_[j].address);
      const bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!between) {
        entries_[hole] = entries_[j];
        hole = j;
      }
    }
    entries_[hole] = {};
    --count_;
    return found;
  }

  template <class Fn>
  void for_each(Fn fn) {
    for (std::size_t i = 0; i < capacity_; ++i) {
      if (entries_[i].address != 0) fn(entries_[i]);
    }
  }

 private:
  std::size_t slot_of(std::uintptr_t address) const {
    return static_cast<std::size_t>(((address >> 4) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void place(const Entry& e) {
    std::size_t i = slot_of(e.address);
    while (entries_[i].address != 0) i = (i + 1) & (capacity_ - 1);
    entries_[i] = e;
  }
  bool grow() {
    const std::size_t capacity = capacity_ == 0 ? std::size_t{1} << 16 : capacity_ * 2;
    void* memory = mmap(nullptr, capacity * sizeof(Entry), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return false;
    Entry* old = entries_;
    const std::size_t old_capacity = capacity_;
    entries_ = static_cast<Entry*>(memory);
    capacity_ = capacity;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    for (std::size_t i = 0; i < old_capacity; ++i) {
      if (old[i].address != 0) place(old[i]);
    }
    if (old != nullptr) munmap(old, old_capacity * sizeof(Entry));
    return true;
  }

  Entry* entries_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t count_ = 0;
  unsigned shift_ = 64;
};

// --- The recorder -------------------------------------------------------------------------------

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct Recorder {
  BlockTable blocks;
  std::uint64_t next_id = 1;
  char buffer[1 << 20];
  std::size_t used = 0;
  int fd = -1;
  bool forked_child = false;  // this process image began as a fork of a recorded process
  bool own_ops = false;       // it has recorded an operation of its own since then
  bool finished = false;      // the program is exiting: write every line at once
  bool failed = false;        // the output could not be opened: stop recording
  bool off = false;           // this process is not recorded (rtalloc-trace --no-children)
};
Recorder recorder;

void append(const char* text, std::size_t n);

void append_number(std::uint64_t value) {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  append(digits + sizeof digits - n, n);
}

void append_text(const char* text) { append(text, std::strlen(text)); }

void write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t written = write(fd, data, n);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    data += written;
    n -= static_cast<std::size_t>(written);
  }
}

// The output: RTALLOC_TRACE_FILE for the process rtalloc-trace started, that name with ".PID"
// appended for any other, and ".N" more when an earlier image of the same process took the name.
int open_output() {
  const char* base = getenv("RTALLOC_TRACE_FILE");
  if (base == nullptr || base[0] == '\0') base = "rtalloc.trace";
  const char* root = getenv("RTALLOC_TRACE_ROOT_PID");
  const long pid = static_cast<long>(getpid());
  const bool is_root = !recorder.forked_child && root != nullptr && std::atol(root) == pid;
  char path[4096];
  const std::size_t base_length = std::strlen(base);
  if (base_length + 48 > sizeof path) return -1;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::memcpy(path, base, base_length);
    std::size_t n = base_length;
    const auto add_number = [&](unsigned long value) {
      char digits[24];
      std::size_t k = 0;
      do {
        digits[k++] = static_cast<char>('0' + value % 10);
        value /= 10;
      } while (value != 0);
      path[n++] = '.';
      while (k > 0) path[n++] = digits[--k];
    };
    if (!is_root) add_number(static_cast<unsigned long>(pid));
    if (attempt > 0) add_number(static_cast<unsigned long>(attempt));
    path[n] = '\0';
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

// The header: the program, this process's id, and the run it belongs to (RTALLOC_TRACE_RUN, which
// rtalloc-trace sets so that it lists the files of its own run and no other).
void write_header(int fd) {
  char line[512] = "# rtalloc-trace v1 program=";
  std::size_t n = std::strlen(line);
  const char* name = program_invocation_short_name;
  for (; name != nullptr && *name != '\0' && n < 300; ++name) {
    line[n++] = *name == ' ' ? '_' : *name;
  }
  if (const char* run = getenv("RTALLOC_TRACE_RUN"); run != nullptr && *run != '\0') {
    std::memcpy(line + n, " run=", 5);
    n += 5;
    for (; *run != '\0' && *run != ' ' && n < 400; ++run) line[n++] = *run;
  }
  const char* pid_word = " pid=";
  std::memcpy(line + n, pid_word, 5);
  n += 5;
  char digits[24];
  std::size_t k = 0;
  for (auto pid = static_cast<unsigned long>(getpid()); k == 0 || pid != 0; pid /= 10) {
    digits[k++] = static_cast<char>('0' + pid % 10);
  }
  while (k > 0) line[n++] = digits[--k];
  line[n++] = '\n';
  write_all(fd, line, n);
}

// Writes the buffer out, opening the file first if need be. Called with the lock held.
void flush() {
  if (recorder.used == 0 || recorder.failed || recorder.off) return;
  if (recorder.fd < 0) {
    recorder.fd = open_output();
    if (recorder.fd < 0) {
      recorder.failed = true;
      return;
    }
    write_header(recorder.fd);
  }
  write_all(recorder.fd, recorder.buffer, recorder.used);
  recorder.used = 0;
}

void append(const char* text, std::size_t n) {
  if (recorder.used + n > sizeof recorder.buffer) flush();
  if (recorder.used + n > sizeof recorder.buffer) return;  // not written out: nowhere to put it
  std::memcpy(recorder.buffer + recorder.used, text, n);
  recorder.used += n;
}

void end_line() {
  append("\n", 1);
  recorder.own_ops = true;
  if (recorder.finished) flush();
}

// --- Recording, called with the lock held -------------------------------------------------------

void record_allocate(void* p, std::size_t size, std::size_t align) {
  if (recorder.failed || recorder.off) return;
  const std::uint64_t id = recorder.next_id;
  if (!recorder.blocks.insert(reinterpret_cast<std::uintptr_t>(p), id, size, align)) return;
  ++recorder.next_id;
  append("a ", 2);
  append_number(id);
  append(" ", 1);
  append_number(size);
  append(" ", 1);
  append_number(align);
  end_line();
}

void record_free(void* p) {
  if (recorder.off) return;
  const Entry e = recorder.blocks.remove(reinterpret_cast<std::uintptr_t>(p));
  if (e.address == 0 || recorder.failed) return;
  append("f ", 2);
  append_number(e.id);
  end_line();
}

void record_reallocate(void* old, void* p, std::size_t size) {
  if (recorder.off) return;
  const Entry e = recorder.blocks.remove(reinterpret_cast<std::uintptr_t>(old));
  if (e.address == 0) {
    record_allocate(p, size, 0);
    return;
  }
  if (recorder.failed) return;
  const std::uint64_t id = recorder.next_id;
  if (!recorder.blocks.insert(reinterpret_cast<std::uintptr_t>(p), id, size, 0)) return;
  ++recorder.next_id;
  append("r ", 2);
  append_number(e.id);
  append(" ", 1);
  append_number(id);
  append(" ", 1);
  append_number(size);
  end_line();
}

// --- fork, exec and exit ------------------------------------------------------------------------

void before_fork() {
  pthread_mutex_lock(&lock);
  flush();  // the child must not write the parent's lines again
}

void after_fork_in_parent() { pthread_mutex_unlock(&lock); }

// True when only the process rtalloc-trace started is recorded (RTALLOC_TRACE_ONLY_ROOT=1), and
// this is another one: a child forked from it, or a program such a child started.
bool another_process_left_out() {
  const char* only_root = getenv("RTALLOC_TRACE_ONLY_ROOT");
  const char* root = getenv("RTALLOC_TRACE_ROOT_PID");
  return only_root != nullptr && only_root[0] == '1' &&
         (recorder.forked_child || root == nullptr || std::atol(root) != getpid());
}

void after_fork_in_child() {
  pthread_mutex_init(&lock, nullptr);
  if (recorder.fd >= 0) close(recorder.fd);
  recorder.fd = -1;
  recorder.used = 0;
  recorder.forked_child = true;
  recorder.off = another_process_left_out();
  if (recorder.off) return;
  // The inherited blocks come into being again, with this process's ids.
  recorder.next_id = 1;
  append_text("# inherited from the parent process\n");
  recorder.blocks.for_each([](Entry& e) {
    e.id = recorder.next_id++;
    append("a ", 2);
    append_number(e.id);
    append(" ", 1);
    append_number(e.size);
    append(" ", 1);
    append_number(e.align);
    append("\n", 1);
  });
  recorder.own_ops = false;
}

// Before this image is replaced or ends without destructors (_exit): write what it recorded, unless
// it is a fork child that did nothing of its own (its file would only repeat the parent's blocks).
void before_exec() {
  pthread_mutex_lock(&lock);
  if (!recorder.forked_child || recorder.own_ops) flush();
  pthread_mutex_unlock(&lock);
}

__attribute__((constructor(101))) void start() {
  recorder.off = another_process_left_out();
  resolve();
  pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

__attribute__((destructor(101))) void finish() {
  pthread_mutex_lock(&lock);
  if (!recorder.forked_child || recorder.own_ops) flush();
  recorder.finished = true;  // allocations in later destructors are written one by one
  pthread_mutex_unlock(&lock);
}

// Runs `call` with the hook flag set; returns what it returns.
template <class Call>
auto pass_through(Call call) {
  ++in_hook;
  auto result = call();
  --in_hook;
  return result;
}

}  // namespace

// --- The interposed functions -------------------------------------------------------------------

extern "C" {

void* malloc(std::size_t size) {
  if (!resolved) resolve();
  if (in_hook != 0 || !resolved) {
    return real.malloc != nullptr ? real.malloc(size) : bootstrap_allocate(size, 16);
  }
  void* p = pass_through([&] { return real.malloc(size); });
  if (p != nullptr) {
    pthread_mutex_lock(&lock);
    record_allocate(p, size, 0);
    pthread_mutex_unlock(&lock);
  }
  return p;
}

void free(void* p) {
  if (p == nullptr || from_bootstrap(p)) return;
  if (!resolved) resolve();
  if (in_hook == 0) {
    pthread_mutex_lock(&lock);
    record_free(p);
    pthread_mutex_unlock(&lock);
  }
  ++in_hook;
  real.free(p);
  --in_hook;
}

void* calloc(std::size_t count, std::size_t size) {
  if (!resolved) resolve();
  if (in_hook != 0 || !resolved) {
    if (real.calloc != nullptr) return real.calloc(count, size);
    std::size_t bytes = 0;
    if (__builtin_mul_overflow(count, size, &bytes)) return nullptr;
    return bootstrap_allocate(bytes, 16);
  }
  void* p = pass_through([&] { return real.calloc(count, size); });
  if (p != nullptr) {
    pthread_mutex_lock(&lock);
    record_allocate(p, count * size, 0);
    pthread_mutex_unlock(&lock);
  }
  return p;
}

void* realloc(void* old, std::size_t size) {
  if (old == nullptr) return malloc(size);
  if (from_bootstrap(old)) {
    // Moved to the real heap; the arena block was never written, so the copy is a new block.
    void* p = malloc(size);
    if (p != nullptr) {
      const std::size_t keep = bootstrap_size(old);
      std::memcpy(p, old, keep < size ? keep : size);
    }
    return p;
  }
  if (!resolved) resolve();
  if (in_hook != 0) return real.realloc(old, size);
  if (size == 0) {
    // realloc(p, 0) frees p (the trace says 'f'); an allocator that returns a block anyway
    // gets an allocation of 0 bytes.
    pthread_mutex_lock(&lock);
    record_free(old);
    pthread_mutex_unlock(&lock);
    void* p = pass_through([&] { return real.realloc(old, 0); });
    if (p != nullptr) {
      pthread_mutex_lock(&lock);
      record_allocate(p, 0, 0);
      pthread_mutex_unlock(&lock);
    }
    return p;
  }
  pthread_mutex_lock(&lock);
  void* p = pass_through([&] { return real.realloc(old, size); });
  if (p != nullptr) record_reallocate(old, p, size);
  pthread_mutex_unlock(&lock);
  return p;
}

void* reallocarray(void* old, std::size_t count, std::size_t size) {
  std::size_t bytes = 0;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(old, bytes);
}

// The aligned allocations share one shape: allocate through `call`, record with `align`.
static void* aligned(std::size_t size, std::size_t align, void* (*call)(std::size_t, std::size_t)) {
  if (!resolved) resolve();
  if (in_hook != 0 || !resolved || call == nullptr) {
    return call != nullptr ? call(align, size) : bootstrap_allocate(size, align);
  }
  void* p = pass_through([&] { return call(align, size); });
  if (p != nullptr) {
    pthread_mutex_lock(&lock);
    record_allocate(p, size, align);
    pthread_mutex_unlock(&lock);
  }
  return p;
}

void* memalign(std::size_t align, std::size_t size) {
  if (!resolved) resolve();
  return aligned(size, align, real.memalign);
}

void* aligned_alloc(std::size_t align, std::size_t size) {
  if (!resolved) resolve();
  return aligned(size, align, real.aligned_alloc);
}

int posix_memalign(void** out, std::size_t align, std::size_t size) {
  if (!resolved) resolve();
  if (in_hook != 0 || !resolved) {
    if (real.posix_memalign != nullptr) return real.posix_memalign(out, align, size);
    *out = bootstrap_allocate(size, align);
    return *out != nullptr ? 0 : ENOMEM;
  }
  const int error = pass_through([&] { return real.posix_memalign(out, align, size); });
  if (error == 0) {
    pthread_mutex_lock(&lock);
    record_allocate(*out, size, align);
    pthread_mutex_unlock(&lock);
  }
  return error;
}

void* valloc(std::size_t size) {
  if (!resolved) resolve();
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  if (in_hook != 0 || !resolved) return real.valloc(size);
  void* p = pass_through([&] { return real.valloc(size); });
  if (p != nullptr) {
    pthread_mutex_lock(&lock);
    record_allocate(p, size, page);
    pthread_mutex_unlock(&lock);
  }
  return p;
}

void* pvalloc(std::size_t size) {
  if (!resolved) resolve();
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  if (in_hook != 0 || !resolved) return real.pvalloc(size);
  void* p = pass_through([&] { return real.pvalloc(size); });
  if (p != nullptr) {
    pthread_mutex_lock(&lock);
    record_allocate(p, size, page);
    pthread_mutex_unlock(&lock);
  }
  return p;
}

std::size_t malloc_usable_size(void* p) {
  if (p == nullptr) return 0;
  if (from_bootstrap(p)) return bootstrap_size(p);
  if (!resolved) resolve();
  return real.usable_size != nullptr ? real.usable_size(p) : 0;
}

// exec: what this image recorded is written before it is replaced. glibc's execl family calls
// execve internally, past the hook, so those are intercepted as well.
int execve(const char* path, char* const argv[], char* const envp[]) {
  if (!resolved) resolve();
  before_exec();
  return real.execve(path, argv, envp);
}

int execvpe(const char* file, char* const argv[], char* const envp[]) {
  if (!resolved) resolve();
  before_exec();
  return real.execvpe(file, argv, envp);
}

int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

// _exit skips the destructors, and forked children often leave through it.
[[noreturn]] void _exit(int status) {
  if (!resolved) resolve();
  before_exec();
  real._exit(status);
  __builtin_unreachable();  // real._exit does not return
}

[[noreturn]] void _Exit(int status) { _exit(status); }

int execvp(const char* file, char* const argv[]) { return execvpe(file, argv, environ); }

}  // extern "C"

namespace {

constexpr int max_exec_arguments = 4096;

// Gathers the null-terminated argument list of an execl-style call into `argv`; false when it is
// too long. `rest` starts after `first`.
bool gather_arguments(const char* first, va_list& rest, char** argv) {
  int n = 0;
  argv[n++] = const_cast<char*>(first);
  while (argv[n - 1] != nullptr) {
    if (n == max_exec_arguments) return false;
    argv[n++] = va_arg(rest, char*);
  }
  return true;
}

}  // namespace

extern "C" {

int execl(const char* path, const char* arg, ...) {
  char* argv[max_exec_arguments];
  va_list rest;
  va_start(rest, arg);
  const bool ok = gather_arguments(arg, rest, argv);
  va_end(rest);
  if (!ok) {
    errno = E2BIG;
    return -1;
  }
  return execve(path, argv, environ);
}

int execlp(const char* file, const char* arg, ...) {
  char* argv[max_exec_arguments];
  va_list rest;
  va_start(rest, arg);
  const bool ok = gather_arguments(arg, rest, argv);
  va_end(rest);
  if (!ok) {
    errno = E2BIG;
    return -1;
  }
  return execvpe(file, argv, environ);
}

int execle(const char* path, const char* arg, ...) {
  char* argv[max_exec_arguments];
  va_list rest;
  va_start(rest, arg);
  const bool ok = gather_arguments(arg, rest, argv);
  char* const* envp = ok ? va_arg(rest, char* const*) : nullptr;
  va_end(rest);
  if (!ok) {
    errno = E2BIG;
    return -1;
  }
  return execve(path, argv, envp);
}

}  // extern "C"
