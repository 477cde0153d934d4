// SPDX-License-Identifier: MIT OR Apache-2.0
// handles: a message table keyed by rtalloc::HandlePool handles, and what a handle kept after its
// message was removed does.
//
// A handle names a slot and the slot's generation. Removing the message advances the generation,
// so every copy of the old handle is stale from then on: reading it gives nothing and removing it
// again reports stale_handle. That stays true when the slot is reused for a new message, which is
// where a plain pointer would silently reach the new message's bytes.
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <rtalloc/pools/handle_pool.hpp>
#include <span>
#include <string_view>

namespace {

// Up to 4 messages of up to 48 bytes, stored inside the table object.
using MessagePool = rtalloc::HandlePool<48, 4>;
using Handle = MessagePool::Handle;

class MessageTable {
 public:
  // Copies `text` into a free slot. Returns the message's handle, or a zero handle and prints why
  // when the table is full or the text too long.
  Handle post(std::string_view text) {
    const MessagePool::Allocation allocation = pool_.allocate(text.size());
    if (!allocation) {
      std::printf("  post(\"%.*s\") failed: %s\n", static_cast<int>(text.size()), text.data(),
                  rtalloc::to_string(allocation.error));
      return {};
    }
    std::memcpy(allocation.data.data(), text.data(), text.size());
    return allocation.handle;
  }

  // The message's text, or an empty view with data() == nullptr when the handle is stale.
  std::string_view read(Handle handle) const {
    const std::span<const std::byte> bytes = pool_.get(handle);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }

  rtalloc::PoolError remove(Handle handle) { return pool_.free(handle); }

  std::size_t available() const { return pool_.available(); }

 private:
  MessagePool pool_;
};

unsigned long slot_of(Handle handle) {
  return static_cast<unsigned long>(MessagePool::slot_of(handle));
}
unsigned long generation_of(Handle handle) {
  return static_cast<unsigned long>(MessagePool::generation_of(handle));
}

void show(const MessageTable& table, const char* name, Handle handle) {
  const std::string_view text = table.read(handle);
  std::printf("  %-8s slot %lu, generation %lu: ", name, slot_of(handle), generation_of(handle));
  if (text.data() == nullptr) {
    std::printf("stale (read() gives nothing)\n");
  } else {
    std::printf("\"%.*s\"\n", static_cast<int>(text.size()), text.data());
  }
}

int failures = 0;

void expect(bool condition, const char* what) {
  if (!condition) {
    std::printf("  UNEXPECTED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  MessageTable table;

  std::printf("Posting three messages:\n");
  const Handle boot = table.post("boot complete");
  const Handle alarm = table.post("temperature above 80 C");
  const Handle status = table.post("link up, 100 Mbit/s");
  show(table, "boot", boot);
  show(table, "alarm", alarm);
  show(table, "status", status);

  // A display task keeps its own copy of the alarm's handle.
  const Handle displayed = alarm;

  std::printf("\nThe alarm is cleared: remove(alarm) -> %s\n",
              rtalloc::to_string(table.remove(alarm)));
  show(table, "alarm", displayed);
  const rtalloc::PoolError second_remove = table.remove(displayed);
  std::printf("  removing it again through the display's copy -> %s\n",
              rtalloc::to_string(second_remove));
  expect(table.read(displayed).data() == nullptr, "the removed message can still be read");
  expect(second_remove == rtalloc::PoolError::stale_handle, "a second remove was accepted");

  std::printf("\nA new message takes the freed slot:\n");
  const Handle reboot = table.post("reboot requested");
  show(table, "reboot", reboot);
  show(table, "alarm", displayed);
  expect(slot_of(reboot) == slot_of(displayed), "the new message did not reuse the freed slot");
  expect(table.read(displayed).data() == nullptr, "the old handle reads the new message");
  const rtalloc::PoolError stale_remove = table.remove(displayed);
  std::printf("  remove(old alarm handle) -> %s; the new message is untouched:\n",
              rtalloc::to_string(stale_remove));
  show(table, "reboot", reboot);
  expect(stale_remove == rtalloc::PoolError::stale_handle,
         "the old handle removed the new message");
  expect(table.read(reboot) == "reboot requested", "the new message was changed");

  std::printf("\nErrors are values too:\n");
  const Handle too_long = table.post("a message longer than the 48 bytes a slot can hold");
  const Handle fourth = table.post("fan speed 2400 rpm");
  const Handle no_room = table.post("one message too many");
  expect(too_long == Handle{} && no_room == Handle{}, "a failed post returned a handle");
  expect(fourth != Handle{}, "the fourth message did not fit");
  std::printf("  a zero handle is never valid: read gives %s\n",
              table.read(no_room).data() == nullptr ? "nothing" : "something");

  for (const Handle handle : {boot, status, reboot, fourth}) {
    expect(table.remove(handle) == rtalloc::PoolError::none, "a live message could not be removed");
  }
  std::printf("\nAll removed: %zu of 4 slots free\n", table.available());
  expect(table.available() == 4, "slots were lost");

  std::printf("%s\n", failures == 0 ? "OK" : "FAILED");
  return failures == 0 ? 0 : 1;
}
