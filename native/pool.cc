// Persistent worker threads: started once, woken per parallel region, spinning briefly before sleeping so
// back-to-back ops (a UNet runs ~2,000 of them) do not pay a futex wake-up each.
#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SDTS_PAUSE() _mm_pause()
#else
#define SDTS_PAUSE() ((void)0)
#endif

namespace {

constexpr int kSlots = 4;

struct Scratch {
  void* ptr[kSlots] = {};
  size_t size[kSlots] = {};
};

class Pool {
 public:
  Pool() {
    unsigned hc = std::thread::hardware_concurrency();
    size_ = hc == 0 ? 1 : static_cast<int>(hc);
    if (const char* env = std::getenv("SDTS_MAX_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) size_ = v;
    }
    scratch_.resize(size_);
    for (int i = 1; i < size_; i++) workers_.emplace_back([this, i] { loop(i); });
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int size() const { return size_; }

  void run(int64_t ntasks, int threads, sdts_task_fn fn, void* ctx) {
    // One parallel region at a time (Node worker_threads share this pool): later callers wait their turn.
    std::lock_guard<std::mutex> region(run_mu_);
    if (threads > size_) threads = size_;
    if (threads < 1) threads = 1;
    if (threads > ntasks) threads = static_cast<int>(ntasks);
    if (threads <= 1) {
      for (int64_t i = 0; i < ntasks; i++) fn(ctx, i, 0);
      return;
    }
    fn_ = fn;
    ctx_ = ctx;
    ntasks_ = ntasks;
    active_limit_ = threads;
    next_.store(0, std::memory_order_relaxed);
    pending_.store(threads - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    work(0);
    // Wait for the helpers: spin briefly (they usually finish within a task of us), then sleep, so a
    // helper that the OS descheduled (a busy machine) gets the core back instead of us spinning on it.
    if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lk(mu_);
      done_cv_.wait(lk, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
  }

  void* scratch(int tid, int slot, size_t bytes) {
    Scratch& s = scratch_[tid];
    if (s.size[slot] < bytes) {
      std::free(s.ptr[slot]);
      size_t n = (bytes + 63) & ~size_t(63);
      s.ptr[slot] = std::aligned_alloc(64, n);
      if (!s.ptr[slot]) {
        std::fprintf(stderr, "sdts native: out of memory (a %zu-byte kernel scratch buffer)\n", n);
        std::abort();
      }
      s.size[slot] = n;
    }
    return s.ptr[slot];
  }

  void release(int tid, int slot) {
    Scratch& s = scratch_[tid];
    std::free(s.ptr[slot]);
    s.ptr[slot] = nullptr;
    s.size[slot] = 0;
  }

 private:
  /** Spin up to ~30 µs for `ready`; false when it timed out. */
  template <class F>
  static bool spin_until(F ready) {
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      for (int i = 0; i < 64; i++) {
        if (ready()) return true;
        SDTS_PAUSE();
      }
      if (std::chrono::steady_clock::now() - start > std::chrono::microseconds(30)) return ready();
    }
  }

  void work(int tid) {
    for (;;) {
      int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= ntasks_) break;
      fn_(ctx_, i, tid);
    }
  }

  void loop(int tid) {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little for the next region (ops come back to back), then sleep.
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      uint64_t g = generation_.load(std::memory_order_acquire);
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        g = generation_.load(std::memory_order_acquire);
      }
      seen = g;
      if (stop_) return;
      if (tid < active_limit_) {
        work(tid);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          std::lock_guard<std::mutex> lk(mu_);
          done_cv_.notify_one();
        }
      }
    }
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::vector<Scratch> scratch_;
  std::mutex mu_;
  std::mutex run_mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> next_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;
  sdts_task_fn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t ntasks_ = 0;
  int active_limit_ = 1;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction order
  return *p;
}

}  // namespace

extern "C" {

void sdts_parallel_for(int64_t ntasks, int threads, sdts_task_fn fn, void* ctx) {
  if (ntasks <= 0) return;
  pool().run(ntasks, threads, fn, ctx);
}

int sdts_pool_size(void) { return pool().size(); }

void* sdts_scratch(int tid, int slot, size_t bytes) { return pool().scratch(tid, slot, bytes); }

void sdts_scratch_release(int tid, int slot) { pool().release(tid, slot); }

}
