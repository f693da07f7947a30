#include "netns.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <sstream>

#include "error.h"
#include "fs.h"
#include "netlink.h"
#include "process.h"

namespace isocost {
namespace {

const std::map<std::string, uint64_t>& FlagTable() {
  static const std::map<std::string, uint64_t> kFlags = {
      {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"mnt", CLONE_NEWNS},
      {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS},
  };
  return kFlags;
}

int OpenNetlink(int protocol, unsigned groups) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) ThrowErrno("opening a netlink socket");
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = groups;
  int size = 8 << 20;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0 &&
       setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) != 0)) {
    int err = errno;
    close(fd);
    throw SysError(err, "binding a netlink listener");
  }
  return fd;
}

// Reads every datagram waiting; counts messages of the given types (or
// every datagram when types is empty).
void CountWaiting(int fd, const std::vector<uint16_t>& types, uint64_t& count, uint64_t& overruns) {
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      ++overruns;
      continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) ThrowErrno("reading a netlink listener");
    if (types.empty()) {
      ++count;
      continue;
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nlh, len);
         nlh = NLMSG_NEXT(nlh, len)) {
      for (uint16_t t : types)
        count += nlh->nlmsg_type == t ? 1 : 0;
    }
  }
}

}  // namespace

const std::vector<std::string>& NamespaceNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& [name, flag] : FlagTable())
      names.push_back(name);
    return names;
  }();
  return kNames;
}

uint64_t NamespaceFlags(const std::vector<std::string>& names) {
  uint64_t flags = 0;
  for (const std::string& name : names) {
    auto found = FlagTable().find(name);
    if (found == FlagTable().end()) {
      throw Error(ErrorKind::kUsage, "unknown namespace type '" + name + "'");
    }
    flags |= found->second;
  }
  return flags;
}

// The function whose kfree(net->gen) ends a namespace's teardown.
std::string NetFreeFunction() {
  std::string syms = TryReadFile("/proc/kallsyms").value_or("");
  return syms.find(" net_free\n") != std::string::npos ? "net_free" : "net_passive_dec";
}

NetnsCensus::NetnsCensus(HostGuard& guard, const std::string& tag)
    : tracefs_(guard),
      alloc_(guard, tracefs_, "isocost-" + tag + "-netns-alloc", "kmem/kmem_cache_alloc",
             "name == \"net_namespace\""),
      release_(guard, tracefs_, "isocost-" + tag + "-netns-release", "kmem/kfree",
               "call_site.function == " + NetFreeFunction()) {
  static std::once_flag verified;
  std::call_once(verified, [this] { Verify(); });
}

// One namespace made and dropped must show as one allocation and, within
// five seconds, one release.
void NetnsCensus::Verify() const {
  uint64_t a0 = Allocated(), r0 = Released();
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
  if (pid < 0) ThrowErrno("starting a child to check the network namespace census");
  int status = Reap(pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(ErrorKind::kUnsupported, "cannot create a network namespace (unshare failed)");
  }
  for (int i = 0; i < 500 && Released() - r0 < 1; ++i)
    usleep(10000);
  uint64_t a = Allocated() - a0, r = Released() - r0;
  if (a < 1 || r < 1) {
    throw Error(ErrorKind::kUnsupported,
                "the network namespace census does not work on this kernel: one namespace made "
                "and dropped showed " +
                    std::to_string(a) + " allocation(s) and " + std::to_string(r) +
                    " teardown end(s) in 5 s (kmem_cache_alloc name and kfree "
                    "call_site.function filters)");
  }
}

std::optional<HostGuard::Id> SetSysctl(HostGuard& guard, const std::string& path,
                                       const std::string& value) {
  std::string old = Trim(ReadFile(path));
  if (old == value) return std::nullopt;
  return guard.Apply("write_file", {{"path", path}, {"old_value", old}},
                     [&] { WriteExistingFile(path, value); });
}

Ipv6Inside ProbeIpv6(bool off_inside) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("creating a pipe for the IPv6 probe");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string conf = "/proc/sys/net/ipv6/conf/";
    int sock = -1;
    if (unshare(CLONE_NEWNET) != 0) _exit(1);
    if (off_inside) WriteExistingFile(conf + "all/disable_ipv6", "1");
    if ((sock = RawRtnlOpen()) < 0 || RawLinkUp(sock, kLoopbackIndex) != 0) _exit(2);
    std::string report;
    for (const char* dev : {"all", "default", "lo"})
      report += Trim(TryReadFile(conf + dev + "/disable_ipv6").value_or("absent")) + " ";
    std::string inet6 = TryReadFile("/proc/net/if_inet6").value_or("");
    report += std::to_string(std::count(inet6.begin(), inet6.end(), '\n'));
    ssize_t ignored = write(fds[1], report.data(), report.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    ThrowErrno("starting the IPv6 probe");
  }
  std::string text;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = Reap(pid);
  std::vector<std::string> w = SplitWords(text);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || w.size() != 4) {
    throw Error(ErrorKind::kFailure, "the IPv6 probe in a new network namespace failed (status " +
                                         std::to_string(status) + ")");
  }
  return {w[0], w[1], w[2], std::stoi(w[3])};
}

BroadcastListener::BroadcastListener() {
  uevent_fd_ = OpenNetlink(NETLINK_KOBJECT_UEVENT, 1);
  try {
    nsid_fd_ = OpenNetlink(NETLINK_ROUTE, 0);
    int group = RTNLGRP_NSID;
    if (setsockopt(nsid_fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) {
      ThrowErrno("joining RTNLGRP_NSID");
    }
  } catch (...) {
    close(uevent_fd_);
    if (nsid_fd_ >= 0) close(nsid_fd_);
    throw;
  }
}

BroadcastListener::~BroadcastListener() {
  close(uevent_fd_);
  close(nsid_fd_);
}

void BroadcastListener::Drain() {
  CountWaiting(uevent_fd_, {}, uevents_, overruns_);
  CountWaiting(nsid_fd_, {RTM_NEWNSID, RTM_DELNSID}, nsid_, overruns_);
}

namespace {

// The holder's life: make the namespaces and listeners, report ready, then
// count until the command pipe closes; a byte on it asks for the totals.
[[noreturn]] void HolderMain(int n, int command_fd, int reply_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "isocost-holder");
  std::vector<std::unique_ptr<BroadcastListener>> listeners;
  try {
    for (int i = 0; i < n; ++i) {
      if (unshare(CLONE_NEWNET) != 0) _exit(2);
      listeners.push_back(std::make_unique<BroadcastListener>());
    }
  } catch (...) {
    _exit(3);
  }
  NetnsHolder::Counts c;
  if (write(reply_fd, &c, sizeof(c)) != sizeof(c)) _exit(4);
  std::vector<pollfd> fds;
  fds.push_back({command_fd, POLLIN, 0});
  for (auto& l : listeners) {
    for (int fd : l->fds())
      fds.push_back({fd, POLLIN, 0});
  }
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) _exit(5);
    for (auto& l : listeners)
      l->Drain();
    if (fds[0].revents == 0) continue;
    char byte;
    if (read(command_fd, &byte, 1) != 1) _exit(0);
    c = {};
    for (auto& l : listeners) {
      c.uevents += l->uevents();
      c.nsid_messages += l->nsid_messages();
      c.overruns += l->overruns();
    }
    if (write(reply_fd, &c, sizeof(c)) != sizeof(c)) _exit(4);
  }
}

}  // namespace

NetnsHolder::NetnsHolder(int n) {
  int command[2], reply[2];
  if (pipe2(command, O_CLOEXEC) != 0) ThrowErrno("creating a pipe for the netns holder");
  if (pipe2(reply, O_CLOEXEC) != 0) ThrowErrno("creating a pipe for the netns holder");
  pid_t pid = fork();
  if (pid == 0) {
    close(command[1]);
    close(reply[0]);
    HolderMain(n, command[0], reply[1]);
  }
  int err = errno;
  close(command[0]);
  close(reply[1]);
  command_fd_ = command[1];
  reply_fd_ = reply[0];
  pid_ = pid;
  if (pid < 0) {
    close(command_fd_);
    close(reply_fd_);
    throw SysError(err, "starting the network namespace holder");
  }
  Counts ready;
  if (read(reply_fd_, &ready, sizeof(ready)) != sizeof(ready)) {
    int status = Reap(pid_);
    close(command_fd_);
    close(reply_fd_);
    pid_ = -1;
    throw Error(ErrorKind::kFailure, "the holder could not make " + std::to_string(n) +
                                         " network namespaces with listeners (status " +
                                         std::to_string(status) + ")");
  }
}

NetnsHolder::~NetnsHolder() {
  if (pid_ < 0) return;
  close(command_fd_);
  close(reply_fd_);
  kill(pid_, SIGKILL);
  try {
    Reap(pid_);
  } catch (...) {
  }
}

NetnsHolder::Counts NetnsHolder::Take() {
  char byte = 1;
  Counts c;
  if (write(command_fd_, &byte, 1) != 1) ThrowErrno("asking the netns holder for its counts");
  if (read(reply_fd_, &c, sizeof(c)) != sizeof(c)) ThrowErrno("reading the netns holder's counts");
  return c;
}

}  // namespace isocost
