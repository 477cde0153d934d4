// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::BasicRemoteFreeQueue under every interleaving of its atomic
// accesses. Simulated threads (coroutines on one OS thread) take turns one
// access at a time, and a depth-first search runs each order of those turns
// once, each from a fresh queue: every order for two producers of one block
// each and for one producer of two blocks, every order with at most three
// preemptions for two producers of two blocks each. In every schedule: each
// pushed block is popped exactly once and nothing else is; blocks come out in
// the order their pushes exchanged the tail, so each producer's in push order;
// no block comes out before its push has linked it; a push is 3 steps and a
// pop at most 7; a pop begun after every push has returned does not fail
// while blocks remain (so the consumer then needs one pop per block left,
// plus the one under way); the queue is empty() at the end. The search itself
// is tested: with an exchange that is not atomic it finds a lost block. Each
// access here is atomic and sequentially consistent: the memory orders are
// left to the threaded tests under ThreadSanitizer (concurrent_heap_test).
#include <gtest/gtest.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <rtalloc/sync/remote_free_queue.hpp>
#include <string>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define RTALLOC_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RTALLOC_TEST_ASAN 1
#endif
#endif
#ifdef RTALLOC_TEST_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace {

// AddressSanitizer must be told of every change of stack (its fiber
// interface); without it these do nothing.
void start_switch(void** fake_stack, const void* bottom, std::size_t bytes) {
#ifdef RTALLOC_TEST_ASAN
  __sanitizer_start_switch_fiber(fake_stack, bottom, bytes);
#else
  (void)fake_stack;
  (void)bottom;
  (void)bytes;
#endif
}
void finish_switch(void* fake_stack, const void** old_bottom, std::size_t* old_bytes) {
#ifdef RTALLOC_TEST_ASAN
  __sanitizer_finish_switch_fiber(fake_stack, old_bottom, old_bytes);
#else
  (void)fake_stack;
  (void)old_bottom;
  (void)old_bytes;
#endif
}

// Simulated threads: coroutines on this OS thread (ucontext), each on its own
// stack. A thread runs only inside start() and step(), up to just before its
// next atomic access (take_turn) or to its end, so each step is one atomic
// access and the plain code after it.
class Scheduler {
 public:
  static constexpr std::size_t kStackBytes = 256 * 1024;

  explicit Scheduler(std::size_t threads) : threads_(threads) {
    for (Thread& thread : threads_) thread.stack = std::make_unique<std::byte[]>(kStackBytes);
    current = this;
  }
  ~Scheduler() { current = nullptr; }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// The scheduler whose threads are running, for StepAtomic.
  static inline Scheduler* current = nullptr;

  /// Starts thread `id` on `body` and runs it up to its first atomic access.
  void start(std::size_t id, std::function<void()> body) {
    Thread& thread = threads_[id];
    thread.body = std::move(body);
    thread.steps = 0;
    thread.finished = false;
    getcontext(&thread.context);
    thread.context.uc_stack.ss_sp = thread.stack.get();
    thread.context.uc_stack.ss_size = kStackBytes;
    thread.context.uc_link = nullptr;
    makecontext(&thread.context, &Scheduler::entry, 0);
    resume(id);
  }

  /// Thread `id` makes its next atomic access and runs up to the one after.
  void step(std::size_t id) {
    ++threads_[id].steps;
    resume(id);
  }

  /// On a simulated thread, before each atomic access: waits for its turn.
  void take_turn() {
    Thread& thread = threads_[running_];
    start_switch(&thread.fake_stack, main_stack_, main_stack_bytes_);
    swapcontext(&thread.context, &main_);
    finish_switch(thread.fake_stack, nullptr, nullptr);
  }

  bool finished(std::size_t id) const { return threads_[id].finished; }
  /// The atomic accesses thread `id` has made.
  std::size_t steps(std::size_t id) const { return threads_[id].steps; }

 private:
  struct Thread {
    std::unique_ptr<std::byte[]> stack;
    ucontext_t context{};
    std::function<void()> body;
    void* fake_stack = nullptr;
    std::size_t steps = 0;
    bool finished = true;
  };

  void resume(std::size_t id) {
    running_ = id;
    void* fake_stack = nullptr;
    start_switch(&fake_stack, threads_[id].stack.get(), kStackBytes);
    swapcontext(&main_, &threads_[id].context);
    finish_switch(fake_stack, nullptr, nullptr);
  }

  static void entry() {
    Scheduler& self = *current;
    finish_switch(nullptr, &self.main_stack_, &self.main_stack_bytes_);
    Thread& thread = self.threads_[self.running_];
    thread.body();
    thread.finished = true;
    start_switch(nullptr, self.main_stack_, self.main_stack_bytes_);
    setcontext(&self.main_);
  }

  std::vector<Thread> threads_;
  ucontext_t main_{};
  const void* main_stack_ = nullptr;
  std::size_t main_stack_bytes_ = 0;
  std::size_t running_ = 0;
};

// Every value stored by an exchange during the current schedule, in order.
std::vector<const void*>* exchange_log = nullptr;

// An atomic pointer each of whose accesses is one step of the simulated
// thread that makes it. Sequentially consistent whatever order is asked for.
template <class T>
class StepAtomic {
 public:
  static constexpr std::size_t exchange_steps = 1;

  constexpr explicit StepAtomic(T value) noexcept : value_(value) {}

  T load(std::memory_order) const noexcept {
    Scheduler::current->take_turn();
    return value_;
  }
  void store(T value, std::memory_order) noexcept {
    Scheduler::current->take_turn();
    value_ = value;
  }
  T exchange(T value, std::memory_order) noexcept {
    Scheduler::current->take_turn();
    exchange_log->push_back(value);
    return std::exchange(value_, value);
  }

 private:
  T value_;
};

// StepAtomic with an exchange that is not atomic: a load, then a store, two
// steps. Two pushes (producers', or the consumer's of the stub) can then
// take the same node as previous and lose a block, which the search must find.
template <class T>
class TornExchangeAtomic : public StepAtomic<T> {
 public:
  static constexpr std::size_t exchange_steps = 2;

  using StepAtomic<T>::StepAtomic;

  T exchange(T value, std::memory_order) noexcept {
    const T previous = this->load(std::memory_order_relaxed);
    this->store(value, std::memory_order_relaxed);
    exchange_log->push_back(value);
    return previous;
  }
};

struct alignas(void*) Block {
  unsigned char bytes[rtalloc::RemoteFreeQueue::min_block_bytes];
};

constexpr std::size_t kMostSteps = 1000;  // per schedule: only a livelock would reach it
constexpr std::size_t kNever = SIZE_MAX;

struct Scenario {
  std::size_t producers;
  std::size_t blocks_each;  // pushed by each producer, in order
  // Schedules with more preemptions (a step by another thread while the last
  // one could have gone on) are left out; kNever: none is.
  std::size_t most_preemptions = kNever;
};

// One schedule of a scenario: a fresh queue, the producers (threads 0 to
// producers - 1) and the consumer (thread `producers`), and what they saw.
template <template <class> class Atomic>
class Run {
 public:
  // A push is a store, an exchange and a store; a pop at most 4 loads and the
  // stub's push.
  static constexpr std::size_t kPushSteps = 2 + Atomic<void*>::exchange_steps;
  static constexpr std::size_t kMostPopSteps = 6 + Atomic<void*>::exchange_steps;

  Run(const Scenario& scenario, Scheduler& scheduler)
      : scheduler_(scheduler),
        each_(scenario.blocks_each),
        total_(scenario.producers * scenario.blocks_each),
        consumer_(scenario.producers),
        blocks_(total_),
        pushed_(total_, false),
        popped_(total_, 0),
        next_from_(scenario.producers, 0) {
    exchange_log = &exchanges_;
    for (std::size_t p = 0; p < consumer_; ++p) scheduler_.start(p, [this, p] { produce(p); });
    scheduler_.start(consumer_, [this] { consume(); });
  }
  ~Run() { exchange_log = nullptr; }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  /// The threads that may take the next step, one bit each.
  ///
  /// A pop that fails while no producer takes a step is followed, until a
  /// producer steps, by pops that fail the same way and change nothing, and
  /// a producer's step in the middle of one of those could as well have come
  /// in the middle of the first. So after such a pop the consumer waits for a
  /// producer's step before it pops again: every schedule is finite (no
  /// consumer spinning on a stalled producer), and only repeats of the same
  /// failed pop are left out.
  unsigned runnable() const {
    unsigned threads = 0;
    for (std::size_t id = 0; id <= consumer_; ++id) {
      if (!scheduler_.finished(id)) threads |= 1u << id;
    }
    const bool consumer_waits = scheduler_.steps(consumer_) == pop_boundary_ &&
                                stutter_at_ == producer_steps() && !producers_finished();
    if (consumer_waits) threads &= ~(1u << consumer_);
    return threads;
  }

  bool done() const { return scheduler_.finished(consumer_) && producers_finished(); }
  const std::string& failure() const { return failure_; }
  std::size_t null_pops() const { return null_pops_; }
  std::size_t null_pops_after_stub() const { return null_pops_after_stub_; }
  std::size_t most_pop_steps() const { return most_pop_steps_; }

 private:
  void fail(const std::string& what) {
    if (failure_.empty()) failure_ = what;
  }

  // The index of the block at `p`, or total_ if `p` is no block.
  std::size_t index_of(const void* p) const {
    for (std::size_t i = 0; i < total_; ++i) {
      if (p == &blocks_[i]) return i;
    }
    return total_;
  }

  std::size_t producer_steps() const {
    std::size_t steps = 0;
    for (std::size_t p = 0; p < consumer_; ++p) steps += scheduler_.steps(p);
    return steps;
  }
  bool producers_finished() const {
    for (std::size_t p = 0; p < consumer_; ++p) {
      if (!scheduler_.finished(p)) return false;
    }
    return true;
  }

  void produce(std::size_t producer) {
    for (std::size_t k = 0; k < each_; ++k) {
      const std::size_t i = producer * each_ + k;
      const std::size_t before = scheduler_.steps(producer);
      queue_.push(&blocks_[i]);
      const std::size_t steps = scheduler_.steps(producer) - before;
      if (steps != kPushSteps) {
        fail("the push of block " + std::to_string(i) + " took " + std::to_string(steps) +
             " steps");
      }
      pushed_[i] = true;
    }
  }

  void consume() {
    std::size_t received = 0;
    while (received < total_) {
      const bool after_every_push = producers_finished();
      const std::size_t producer_steps_before = producer_steps();
      const std::size_t first_step = scheduler_.steps(consumer_);
      void* block = queue_.pop();
      pop_boundary_ = scheduler_.steps(consumer_);
      const std::size_t steps = pop_boundary_ - first_step;
      if (steps > most_pop_steps_) most_pop_steps_ = steps;
      if (steps > kMostPopSteps) fail("a pop took " + std::to_string(steps) + " steps");
      if (block == nullptr) {
        ++null_pops_;
        if (steps >= kMostPopSteps - 1) ++null_pops_after_stub_;  // it pushed the stub
        if (after_every_push) fail("a pop begun after every push returned found nothing");
        stutter_at_ = producer_steps() == producer_steps_before ? producer_steps_before : kNever;
        continue;
      }
      stutter_at_ = kNever;
      check_popped(block, received);
      ++received;
    }
    if (!queue_.empty()) fail("not empty() after every block was popped");
    if (queue_.pop() != nullptr) fail("a pop after every block found one more");
  }

  // `block` is the received-th block popped.
  void check_popped(const void* block, std::size_t received) {
    const std::size_t i = index_of(block);
    if (i == total_) return fail("pop returned a pointer that was never pushed");
    const std::string name = "block " + std::to_string(i);
    if (popped_[i]++ != 0) fail(name + " popped twice");
    if (!pushed_[i]) fail(name + " popped before its push linked it");
    // The blocks in the order their pushes exchanged the tail (the stub left out).
    std::vector<std::size_t> exchanged;
    for (const void* value : exchanges_) {
      if (index_of(value) != total_) exchanged.push_back(index_of(value));
    }
    if (std::find(exchanged.begin(), exchanged.end(), i) == exchanged.end()) {
      fail(name + " popped before its push's exchange");
    }
    if (received >= exchanged.size() || exchanged[received] != i) {
      fail(name + " popped out of the order the pushes exchanged the tail");
    }
    const std::size_t producer = i / each_;
    if (i % each_ != next_from_[producer]++) fail(name + " popped out of its producer's order");
  }

  Scheduler& scheduler_;
  const std::size_t each_;
  const std::size_t total_;
  const std::size_t consumer_;
  rtalloc::BasicRemoteFreeQueue<Atomic> queue_;
  std::vector<Block> blocks_;
  std::vector<bool> pushed_;  // its push has returned
  std::vector<std::uint8_t> popped_;
  std::vector<std::size_t> next_from_;  // per producer: its next block's number
  std::vector<const void*> exchanges_;
  std::size_t pop_boundary_ = 0;     // the consumer's steps when its last pop returned
  std::size_t stutter_at_ = kNever;  // producer steps when a pop failed without them moving
  std::size_t null_pops_ = 0;
  std::size_t null_pops_after_stub_ = 0;
  std::size_t most_pop_steps_ = 0;
  std::string failure_;
};

struct Exploration {
  std::uint64_t schedules = 0;
  std::size_t longest = 0;  // steps
  std::uint64_t null_pops = 0;
  std::uint64_t null_pops_after_stub = 0;
  std::size_t most_pop_steps = 0;
  std::string failure;  // with its schedule; empty if every schedule passed
};

// Runs every schedule of `scenario` once: depth-first over the choice, at each
// step, of which runnable thread takes it. Each schedule replays the previous
// one's turns up to the deepest that had another runnable thread, takes that
// thread there, and then the lowest-numbered runnable thread at each new step.
template <template <class> class Atomic>
Exploration explore(const Scenario& scenario) {
  struct Turn {
    unsigned choices;  // runnable threads, one bit each
    unsigned taken;
  };
  Scheduler scheduler(scenario.producers + 1);
  std::vector<Turn> path;
  Exploration result;
  for (;;) {
    Run<Atomic> run(scenario, scheduler);
    std::string failure;
    std::size_t depth = 0;
    std::size_t preemptions = 0;
    unsigned last = 0;
    while (!run.done() && run.failure().empty()) {
      unsigned choices = run.runnable();
      const bool last_runnable = depth != 0 && ((choices >> last) & 1u) != 0;
      if (last_runnable && preemptions == scenario.most_preemptions) choices = 1u << last;
      if (choices == 0) {
        failure = "no thread can step";
      } else if (depth == kMostSteps) {
        failure = "more than " + std::to_string(kMostSteps) + " steps";
      } else if (depth == path.size()) {
        path.push_back({choices, static_cast<unsigned>(std::countr_zero(choices))});
      } else if (path[depth].choices != choices) {
        failure = "a replayed schedule took another course";
      }
      if (!failure.empty()) break;
      if (last_runnable && path[depth].taken != last) ++preemptions;
      last = path[depth].taken;
      scheduler.step(last);
      ++depth;
    }
    if (failure.empty()) failure = run.failure();
    if (!failure.empty()) {
      std::string schedule;
      for (std::size_t d = 0; d < depth; ++d) schedule += std::to_string(path[d].taken) + ' ';
      result.failure = failure + " in schedule " + std::to_string(result.schedules) +
                       " (the thread of each step; the consumer is thread " +
                       std::to_string(scenario.producers) + "): " + schedule;
      return result;
    }
    ++result.schedules;
    result.longest = std::max(result.longest, depth);
    result.null_pops += run.null_pops();
    result.null_pops_after_stub += run.null_pops_after_stub();
    result.most_pop_steps = std::max(result.most_pop_steps, run.most_pop_steps());
    path.resize(depth);
    while (!path.empty()) {
      Turn& turn = path.back();
      const unsigned above = turn.choices & ~((2u << turn.taken) - 1u);
      if (above != 0) {
        turn.taken = static_cast<unsigned>(std::countr_zero(above));
        break;
      }
      path.pop_back();
    }
    if (path.empty()) return result;
  }
}

// Explores `scenario` and checks what every scenario must show: no failure,
// the expected number of schedules (so that no change of the search passes
// unnoticed), the longest pop, and the races the queue is built for (a pop
// that finds a producer between its exchange and its last store, and one that
// pushes the stub and still finds nothing).
void expect_every_schedule_passes(const Scenario& scenario, std::uint64_t schedules) {
  const Exploration result = explore<StepAtomic>(scenario);
  std::printf("%zu producer(s) x %zu block(s): %llu schedules of up to %zu steps\n",
              scenario.producers, scenario.blocks_each,
              static_cast<unsigned long long>(result.schedules), result.longest);
  ::testing::Test::RecordProperty("schedules", std::to_string(result.schedules));
  ASSERT_EQ(result.failure, "");
  EXPECT_EQ(result.schedules, schedules);
  EXPECT_EQ(result.most_pop_steps, Run<StepAtomic>::kMostPopSteps);
  EXPECT_GT(result.null_pops, 0u);
  EXPECT_GT(result.null_pops_after_stub, 0u);
}

TEST(RemoteFreeQueueModel, TwoProducersOneBlockEach) {
  expect_every_schedule_passes({.producers = 2, .blocks_each = 1}, 28908);
}

TEST(RemoteFreeQueueModel, OneProducerTwoBlocksInPushOrder) {
  expect_every_schedule_passes({.producers = 1, .blocks_each = 2}, 3438);
}

// Every schedule is too many here (1.8 million with 5 preemptions already,
// 282,956 with 4, taking 6 s): those with at most 3, as in iterative context
// bounding (Musuvathi and Qadeer, 2007), since few preemptions are enough to
// show most races.
TEST(RemoteFreeQueueModel, TwoProducersTwoBlocksEachUpToThreePreemptions) {
  expect_every_schedule_passes({.producers = 2, .blocks_each = 2, .most_preemptions = 3}, 34360);
}

// The search is not blind: with an exchange that is not atomic it finds a
// schedule that loses or reorders a block, and reports it.
TEST(RemoteFreeQueueModel, FindsTheRaceOfATornExchange) {
  const Exploration result = explore<TornExchangeAtomic>({.producers = 2, .blocks_each = 1});
  std::printf("torn exchange: %s\n", result.failure.c_str());
  EXPECT_NE(result.failure, "") << "no schedule found the race";
}

}  // namespace
