#include "interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace isocost {
namespace {

std::atomic<int> g_signal{0};

void OnSignal(int sig) {
  if (g_signal.exchange(sig) != 0) {
    static const char kMsg[] =
        "isocost: second signal, exiting now; run `isocost cleanup` to undo what is left\n";
    ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    (void)ignored;
    _exit(128 + sig);
  }
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);  // a closed terminal or ssh session
  // A closed pipe (stderr piped into head, say) is an error to report, not
  // a reason to die with the host half-changed.
  signal(SIGPIPE, SIG_IGN);
}

bool Interrupted() {
  return g_signal.load(std::memory_order_relaxed) != 0;
}

int InterruptSignal() {
  return g_signal.load();
}

}  // namespace isocost
