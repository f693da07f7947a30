#include "primitives/trace.h"

#include <errno.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "primitives/error.h"
#include "primitives/fs.h"
#include "primitives/guard.h"

// libtracefs 1.6's and libtraceevent's kbuffer headers are C only: no
// extern "C", and tracefs.h passes an int as an enum in an inline function
// (hence -fpermissive for this file alone, in CMakeLists.txt).
extern "C" {
// clang-format off
#include <traceevent/event-parse.h>
#include <traceevent/kbuffer.h>
#include <tracefs/tracefs.h>
// clang-format on
}

namespace isocost {
namespace {

constexpr const char* kDefaultTracefs = "/sys/kernel/tracing";
// Event systems whose formats are loaded for decoding.
const char* const kSystems[] = {"sched", "syscalls", "workqueue", "ftrace", nullptr};

bool IsTracefs(const std::string& dir) {
  struct statfs st {};
  return statfs(dir.c_str(), &st) == 0 && st.f_type == TRACEFS_MAGIC;
}

void RequireIsocostName(const std::string& what, const std::string& name) {
  if (name.find("isocost") == std::string::npos || name.find('/') != std::string::npos) {
    throw Error(ErrorKind::kFailure,
                "refusing to remove " + what + " '" + name + "': not an isocost name");
  }
}

// rmdir of an instance directory; 0 or an errno. ENOENT counts as done.
int RemoveInstanceDir(const std::string& tracefs_dir, const std::string& name) {
  std::string dir = tracefs_dir + "/instances/" + name;
  if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return 0;
  return errno;
}

// The same, from a child with a private mount namespace and its own
// tracefs mount: the host's mounts never change.
int RemoveInstanceInPrivateMount(const std::string& name) {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0) _exit(errno);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(errno);
    if (mount("nodev", kDefaultTracefs, "tracefs", 0, nullptr) != 0 && !IsTracefs(kDefaultTracefs))
      _exit(errno);
    _exit(RemoveInstanceDir(kDefaultTracefs, name));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

std::string EventSystem(const std::string& event) {
  return event.substr(0, event.find('/'));
}

std::string EventName(const std::string& event) {
  size_t slash = event.find('/');
  return slash == std::string::npos ? event : event.substr(slash + 1);
}

uint64_t ReadNumber(tep_event* event, void* data, const char* name) {
  tep_format_field* field = tep_find_field(event, name);
  unsigned long long value = 0;
  if (field == nullptr || tep_read_number_field(field, data, &value) != 0) return 0;
  return value;
}

// Parses "key: value" lines of a per_cpu/cpuN/stats file.
uint64_t StatValue(const std::string& stats, const std::string& key) {
  std::istringstream in(stats);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0)
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return 0;
}

EventKind KindOf(const std::string& system, const std::string& name) {
  if (system == "syscalls") {
    return name.rfind("sys_enter_", 0) == 0 ? EventKind::kSysEnter : EventKind::kSysExit;
  }
  if (name == "sched_switch") return EventKind::kSwitch;
  if (name == "kernel_stack") return EventKind::kStack;
  if (name == "workqueue_queue_work") return EventKind::kWorkQueued;
  if (name == "workqueue_execute_start") return EventKind::kWorkStart;
  if (name == "workqueue_execute_end") return EventKind::kWorkEnd;
  return EventKind::kOther;
}

void FillFields(tep_event* event, tep_record* record, TraceEvent& e) {
  void* data = record->data;
  switch (e.kind) {
    case EventKind::kSysEnter:
    case EventKind::kSysExit:
      // "sys_enter_unshare" and "sys_exit_unshare" both become "unshare".
      e.name = e.name.substr(e.kind == EventKind::kSysEnter ? 10 : 9);
      break;
    case EventKind::kSwitch:
      e.prev_pid = static_cast<int>(ReadNumber(event, data, "prev_pid"));
      e.next_pid = static_cast<int>(ReadNumber(event, data, "next_pid"));
      e.prev_state = static_cast<int64_t>(ReadNumber(event, data, "prev_state"));
      break;
    case EventKind::kWorkQueued:
    case EventKind::kWorkStart:
    case EventKind::kWorkEnd:
      e.work = ReadNumber(event, data, "work");
      e.function = ReadNumber(event, data, "function");
      break;
    case EventKind::kStack: {
      tep_format_field* caller = tep_find_field(event, "caller");
      uint64_t n = ReadNumber(event, data, "size");
      if (caller == nullptr) break;
      size_t room = (static_cast<size_t>(record->size) - caller->offset) / sizeof(uint64_t);
      n = std::min<uint64_t>(n, room);
      e.stack.resize(n);
      std::memcpy(e.stack.data(), static_cast<char*>(data) + caller->offset, n * sizeof(uint64_t));
      break;
    }
    case EventKind::kOther:
      break;
  }
}

// Decodes one CPU's pages, appending to events (and text).
void DecodeCpu(tep_handle* tep, const std::string& pages, size_t page_size, int cpu,
               std::vector<TraceEvent>& events, std::string* text) {
  std::unique_ptr<kbuffer, void (*)(kbuffer*)> kbuf(tep_kbuffer(tep), kbuffer_free);
  if (!kbuf) throw Error(ErrorKind::kFailure, "libtraceevent: cannot allocate a kbuffer");
  std::vector<char> page(page_size);

  for (size_t off = 0; off + page_size <= pages.size(); off += page_size) {
    std::memcpy(page.data(), pages.data() + off, page_size);
    if (kbuffer_load_subbuffer(kbuf.get(), page.data()) != 0) continue;
    unsigned long long ts = 0;
    for (void* data = kbuffer_read_event(kbuf.get(), &ts); data != nullptr;
         data = kbuffer_next_event(kbuf.get(), &ts)) {
      tep_record record{};
      record.ts = ts;
      record.cpu = cpu;
      record.data = data;
      record.size = kbuffer_event_size(kbuf.get());
      tep_event* event = tep_find_event_by_record(tep, &record);
      if (event == nullptr) continue;
      TraceEvent e;
      e.ts_ns = ts;
      e.cpu = cpu;
      e.pid = tep_data_pid(tep, &record);
      e.name = event->name;
      e.kind = KindOf(event->system, e.name);
      FillFields(event, &record, e);
      events.push_back(std::move(e));
      if (text != nullptr) {
        trace_seq seq;
        trace_seq_init(&seq);
        tep_print_event(tep, &seq, &record, "%16s-%-7d [%03d] %6.1000d: %s: %s\n", TEP_PRINT_COMM,
                        TEP_PRINT_PID, TEP_PRINT_CPU, TEP_PRINT_TIME, TEP_PRINT_NAME,
                        TEP_PRINT_INFO);
        text->append(seq.buffer, seq.len);
        trace_seq_destroy(&seq);
      }
    }
  }
}

}  // namespace

void RemoveTracingInstance(const std::string& tracefs_dir, const std::string& name) {
  RequireIsocostName("tracing instance", name);
  int err = IsTracefs(tracefs_dir) ? RemoveInstanceDir(tracefs_dir, name)
                                   : RemoveInstanceInPrivateMount(name);
  if (err != 0) throw SysError(err, "removing tracing instance " + name);
}

void RemoveTracefsMount(const std::string& target) {
  if (!OwnedName(target)) {
    throw Error(ErrorKind::kFailure, "refusing to unmount " + target + ": not an isocost name");
  }
  if (IsTracefs(target) && umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
    ThrowErrno("unmounting tracefs at " + target);
  }
  if (rmdir(target.c_str()) != 0 && errno != ENOENT) ThrowErrno("removing " + target);
}

TraceSession::TraceSession(HostGuard& guard, const std::string& tag)
    : guard_(guard), mount_point_("/run/isocost-tracefs-" + tag), name_("isocost-" + tag) {
  try {
    undo_.push_back(guard_.Apply("tracefs_mount", {{"target", mount_point_}}, [&] {
      if (mkdir(mount_point_.c_str(), 0700) != 0) ThrowErrno("creating " + mount_point_);
      if (mount("nodev", mount_point_.c_str(), "tracefs", 0, nullptr) != 0) {
        int err = errno;
        rmdir(mount_point_.c_str());
        throw SysError(err, "mounting tracefs at " + mount_point_);
      }
    }));
    std::string dir = mount_point_ + "/instances/" + name_;
    undo_.push_back(
        guard_.Apply("tracing_instance", {{"tracefs", mount_point_}, {"name", name_}}, [&] {
          if (mkdir(dir.c_str(), 0700) != 0) {
            ThrowErrno("creating tracing instance " + dir);
          }
        }));
    instance_ = tracefs_instance_alloc(mount_point_.c_str(), name_.c_str());
    if (instance_ == nullptr) ThrowErrno("libtracefs: opening tracing instance " + name_);
  } catch (...) {
    Close();
    throw;
  }
}

TraceSession::~TraceSession() {
  try {
    Close();
  } catch (...) {
    // The guard's journal still lists what is left; the run's end undoes it.
  }
  if (tep_ != nullptr) tep_free(tep_);
}

void TraceSession::Close() {
  if (instance_ != nullptr) {
    tracefs_trace_off(instance_);
    tracefs_instance_free(instance_);
    instance_ = nullptr;
  }
  while (!undo_.empty()) {
    guard_.Undo(undo_.back());
    undo_.pop_back();
  }
}

void TraceSession::WriteEventFile(const std::string& event, const char* file,
                                  const std::string& text) {
  std::string system = EventSystem(event), name = EventName(event);
  if (tracefs_event_file_write(instance_, system.c_str(), name.c_str(), file, text.c_str()) < 0) {
    ThrowErrno(fmt::format("writing '{}' to events/{}/{} of tracing instance {}", text, event, file,
                           name_));
  }
}

void TraceSession::Configure(const TraceRequest& request) {
  tracefs_trace_off(instance_);
  if (tracefs_instance_file_write(instance_, "trace_clock", "mono") < 0) {
    ThrowErrno("setting trace_clock mono in tracing instance " + name_);
  }
  if (tracefs_instance_set_buffer_size(instance_, static_cast<size_t>(request.buffer_kb), -1) < 0) {
    ThrowErrno(fmt::format("setting the buffer of tracing instance {} to {} KiB per CPU", name_,
                           request.buffer_kb));
  }
  for (const auto& [event, filter] : request.filters)
    WriteEventFile(event, "filter", filter);
  for (const auto& [event, trigger] : request.triggers)
    WriteEventFile(event, "trigger", trigger);
  for (const std::string& event : request.events) {
    std::string system = EventSystem(event), name = EventName(event);
    if (tracefs_event_enable(instance_, system.c_str(), name.c_str()) != 0) {
      ThrowErrno("enabling event " + event + " in tracing instance " + name_);
    }
  }
  events_ = request.events;
  tep_ = tracefs_local_events_system(mount_point_.c_str(), kSystems);
  if (tep_ == nullptr) ThrowErrno("libtracefs: loading event formats from " + mount_point_);
  formats_ = ReadFile(mount_point_ + "/events/header_page");
  for (const std::string& event : events_)
    formats_ += ReadFile(mount_point_ + "/events/" + event + "/format");
  formats_ += ReadFile(mount_point_ + "/events/ftrace/kernel_stack/format");
}

void TraceSession::Start() {
  tracefs_instance_file_clear(instance_, "trace");
  if (tracefs_trace_on(instance_) != 0) ThrowErrno("starting tracing instance " + name_);
}

void TraceSession::Stop() {
  if (tracefs_trace_off(instance_) != 0) ThrowErrno("stopping tracing instance " + name_);
}

RawTrace TraceSession::Collect() {
  RawTrace raw;
  int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_CONF));
  for (int cpu = 0; cpu < cpus; ++cpu) {
    tracefs_cpu* tcpu = tracefs_cpu_open(instance_, cpu, true);
    std::string data;
    if (tcpu != nullptr) {
      raw.page_size = static_cast<size_t>(tracefs_cpu_read_size(tcpu));
      std::vector<char> page(raw.page_size);
      for (int n; (n = tracefs_cpu_read(tcpu, page.data(), true)) > 0;) {
        data.append(page.data(), static_cast<size_t>(n));
        data.resize(data.size() + raw.page_size - static_cast<size_t>(n), '\0');
      }
      tracefs_cpu_close(tcpu);
    }
    raw.cpu_data.push_back(std::move(data));
  }
  return raw;
}

LostEvents TraceSession::Lost() const {
  LostEvents lost;
  int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_CONF));
  for (int cpu = 0; cpu < cpus; ++cpu) {
    std::string file = fmt::format("per_cpu/cpu{}/stats", cpu);
    char* text = tracefs_instance_file_read(instance_, file.c_str(), nullptr);
    if (text == nullptr) continue;
    std::string stats(text);
    free(text);
    lost.overrun += StatValue(stats, "overrun");
    lost.commit_overrun += StatValue(stats, "commit overrun");
    lost.dropped += StatValue(stats, "dropped events");
  }
  return lost;
}

std::vector<std::string> TraceSession::AvailableTracers() const {
  return SplitWords(TryReadFile(mount_point_ + "/available_tracers").value_or(""));
}

std::vector<TraceEvent> TraceSession::Decode(const RawTrace& raw, std::string* text) const {
  std::vector<TraceEvent> events;
  if (tep_ == nullptr) return events;
  for (size_t cpu = 0; cpu < raw.cpu_data.size(); ++cpu) {
    DecodeCpu(tep_, raw.cpu_data[cpu], raw.page_size, static_cast<int>(cpu), events, text);
  }
  // Stable: an event and the stack its trigger wrote keep their order.
  std::stable_sort(events.begin(), events.end(),
                   [](const TraceEvent& a, const TraceEvent& b) { return a.ts_ns < b.ts_ns; });
  return events;
}

std::string TraceSession::Formats() const {
  return formats_;
}

KernelSymbols KernelSymbols::Load() {
  KernelSymbols symbols;
  std::istringstream in(ReadFile("/proc/kallsyms"));
  for (std::string line; std::getline(in, line);) {
    // "ffffffff81000000 T _stext [module]"
    if (line.size() < 20) continue;
    char type = line[17];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;
    uint64_t addr = std::strtoull(line.c_str(), nullptr, 16);
    size_t end = line.find_first_of(" \t", 19);
    if (addr != 0) symbols.by_address_.emplace_back(addr, line.substr(19, end - 19));
  }
  std::sort(symbols.by_address_.begin(), symbols.by_address_.end());
  return symbols;
}

void KernelSymbols::Add(uint64_t addr, std::string name) {
  auto at =
      std::upper_bound(by_address_.begin(), by_address_.end(), std::make_pair(addr, std::string()));
  by_address_.insert(at, {addr, std::move(name)});
}

std::string KernelSymbols::Name(uint64_t addr) const {
  auto after = std::upper_bound(
      by_address_.begin(), by_address_.end(), addr,
      [](uint64_t a, const std::pair<uint64_t, std::string>& s) { return a < s.first; });
  if (after == by_address_.begin()) return fmt::format("0x{:x}", addr);
  return std::prev(after)->second;
}

std::optional<uint64_t> KernelSymbols::Address(std::string_view name) const {
  for (const auto& [addr, symbol] : by_address_) {
    if (symbol == name) return addr;
  }
  return std::nullopt;
}

std::string BaseSymbol(std::string_view symbol) {
  return std::string(symbol.substr(0, symbol.find('.')));
}

const std::vector<std::string>& GracePeriodWaiters() {
  static const std::vector<std::string> kWaiters = {
      "synchronize_rcu",   // and _expedited, _normal (6.x), _tasks...
      "synchronize_srcu",  // and _expedited
      "synchronize_net",
      "synchronize_sched",  // kernels before 5.0
      "rcu_barrier",        // waits for callbacks, which wait for grace periods
      "wait_rcu_gp",        // and __wait_rcu_gp
      "__wait_rcu_gp",     "synchronize_rcu_expedited",
  };
  return kWaiters;
}

std::string GracePeriodWaiterIn(const std::vector<std::string>& frames) {
  for (const std::string& frame : frames) {
    std::string base = BaseSymbol(frame);
    for (const std::string& waiter : GracePeriodWaiters()) {
      if (base.rfind(waiter, 0) == 0) return base;
    }
  }
  return "";
}

namespace {

// Frames that say only "this task slept": the scheduler and generic waits.
bool GenericWaitFrame(const std::string& base) {
  static const char* const kPrefixes[] = {
      "__schedule",
      "schedule",
      "preempt_schedule",
      "__traceiter_",
      "trace_",
      "__wait_for_common",
      "wait_for_common",
      "do_wait_for_common",
      "wait_for_completion",
      "__wait_event",
      "stack_trace_",
      "__ftrace_trace_stack",
      "ftrace_",
      "event_triggers_",
      "__bpf_trace_",
      "perf_trace_",
  };
  for (const char* p : kPrefixes) {
    if (base.rfind(p, 0) == 0) return true;
  }
  return false;
}

bool LockOrIoFrame(const std::string& base) {
  static const char* const kLocks[] = {"__mutex_lock", "mutex_lock", "rwsem_down", "down_",
                                       "io_schedule",  "__down",     "rt_mutex",   "percpu_"};
  for (const char* p : kLocks) {
    if (base.rfind(p, 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::string TopBlocker(const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    std::string base = BaseSymbol(frames[i]);
    if (GenericWaitFrame(base)) continue;
    if (!LockOrIoFrame(base)) return base;
    for (size_t j = i + 1; j < frames.size(); ++j) {
      std::string caller = BaseSymbol(frames[j]);
      if (!LockOrIoFrame(caller) && !GenericWaitFrame(caller)) return base + " < " + caller;
    }
    return base;
  }
  return frames.empty() ? "" : BaseSymbol(frames.front());
}

}  // namespace isocost
