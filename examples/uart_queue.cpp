// SPDX-License-Identifier: MIT OR Apache-2.0
// A UART-style receive path: a producer (standing in for the receive
// interrupt handler) pushes bytes into an rtalloc::ByteQueue as they
// "arrive"; the main loop pops them and assembles lines. The producer
// never blocks or waits for the main loop; if the chunk pool runs dry it
// drops the byte and counts an overrun, as a real UART driver would.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <rtalloc/pools/byte_buffer.hpp>
#include <string>
#include <thread>

namespace {

constexpr std::size_t chunk_bytes = 32;
alignas(64) std::byte pool_memory[4 * 1024];

}  // namespace

int main() {
  rtalloc::ByteChunkPool<chunk_bytes> pool(pool_memory, sizeof pool_memory);
  rtalloc::ByteQueue<chunk_bytes> received(pool);
  if (!received.valid()) return 1;

  const char* messages[] = {"GPS,5130.4,N,00007.9,W\n", "TEMP,21.5\n", "BATT,3.71\n",
                            "GPS,5130.5,N,00007.8,W\n", "TEMP,21.6\n"};
  std::atomic<bool> done{false};
  std::atomic<int> overruns{0};

  // The "interrupt handler": one byte at a time, as a UART delivers them.
  std::thread uart([&] {
    for (int round = 0; round < 20; ++round) {
      for (const char* message : messages) {
        for (const char* c = message; *c != '\0'; ++c) {
          if (received.push(static_cast<std::byte>(*c)) != rtalloc::PoolError::none) {
            overruns.fetch_add(1);  // no chunk free: the byte is lost, nothing else is
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    done.store(true);
  });

  // The main loop: drain what has arrived, split it into lines.
  std::string line;
  int lines = 0;
  std::byte bytes[16];
  for (;;) {
    const bool finished = done.load();  // read before draining: nothing is missed
    while (const std::size_t n = received.pop(bytes)) {
      for (std::size_t i = 0; i < n; ++i) {
        const char c = static_cast<char>(bytes[i]);
        if (c != '\n') {
          line += c;
          continue;
        }
        if (++lines <= 5) std::printf("line %d: %s\n", lines, line.c_str());
        line.clear();
      }
    }
    if (finished) break;
    std::this_thread::yield();
  }
  uart.join();

  std::printf("%d lines received, %d bytes lost to overruns, %zu of %zu chunks free\n", lines,
              overruns.load(), pool.available(), pool.capacity());
  return lines > 0 && pool.available() + 1 == pool.capacity() ? 0 : 1;
}
