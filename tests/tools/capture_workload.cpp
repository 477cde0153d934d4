// SPDX-License-Identifier: MIT OR Apache-2.0
// A program for capture_test to record: each mode exercises one thing rtalloc-trace must get
// right. Marker sizes (7,000,001 and up) let the test find the operations in the traces.
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// Keeps the compiler from dropping an allocation it can see is unused.
void* volatile sink;

// Four threads allocating, resizing and freeing at once: their lines must form one valid order.
int threads() {
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([t] {
      std::vector<void*> live;
      for (int i = 0; i < 20000; ++i) {
        const auto size = static_cast<std::size_t>(16 + (i * 7 + t) % 500);
        if (i % 3 == 2 && !live.empty()) {
          std::free(live.back());
          live.pop_back();
        } else if (i % 5 == 4 && !live.empty()) {
          void* p = std::realloc(live.back(), size * 2);
          if (p != nullptr) live.back() = p;
        } else {
          live.push_back(std::malloc(size));
        }
      }
      for (void* p : live) std::free(p);
    });
  }
  for (std::thread& w : workers) w.join();
  return 0;
}

// The child frees blocks its parent allocated: its trace must know them.
int fork_child() {
  std::vector<void*> blocks;
  for (int i = 0; i < 100; ++i) blocks.push_back(std::malloc(7000001));
  const pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 50; ++i) std::free(blocks[static_cast<std::size_t>(i)]);
    sink = std::malloc(7000002);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  for (void* p : blocks) std::free(p);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

// The same process runs another program image; both images' operations must be written.
int exec_self(const char* self) {
  sink = std::malloc(7000003);
  execl(self, self, "after-exec", static_cast<char*>(nullptr));
  return 1;
}

int after_exec() {
  sink = std::malloc(7000004);
  return 0;
}

// Frees p after storing it where the compiler cannot see, so that the pair is not optimised away.
void keep_and_free(void* p) {
  sink = p;
  std::free(sink);
}

// Every allocation function, recorded with its size and alignment.
int functions() {
  void* p = nullptr;
  if (posix_memalign(&p, 64, 7000005) != 0) return 1;
  keep_and_free(p);
  keep_and_free(aligned_alloc(128, 7000006));
  keep_and_free(memalign(256, 7000007));
  keep_and_free(std::calloc(7, 1000143));    // 7,001,001 bytes
  void* r = std::realloc(nullptr, 7000008);  // an allocation
  sink = r;
  r = std::realloc(r, 7000009);  // a resize
  sink = r;
  keep_and_free(std::realloc(r, 0));  // a free (glibc returns null)
  keep_and_free(valloc(7000010));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "threads") return threads();
  if (mode == "fork") return fork_child();
  if (mode == "exec") return exec_self(argv[0]);
  if (mode == "after-exec") return after_exec();
  if (mode == "functions") return functions();
  std::fprintf(stderr, "usage: %s threads|fork|exec|functions\n", argv[0]);
  return 2;
}
