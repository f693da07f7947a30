#include "netlink.h"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "error.h"
#include "fs.h"

namespace isocost {
namespace {

// Big enough for any request here and for an error ack quoting it.
constexpr size_t kBufSize = 4096;

ifinfomsg* PutLinkHeader(nlmsghdr* nlh, uint16_t type, uint16_t flags) {
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  nlh->nlmsg_seq = static_cast<uint32_t>(time(nullptr));
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  return ifm;
}

// Sends one request and waits for its ack; 0 or -errno.
int Transact(int sock, nlmsghdr* nlh) {
  char buf[kBufSize];
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;

  if (sendto(sock, nlh, nlh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) <
      0) {
    return -errno;
  }
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    int ret = mnl_cb_run(buf, static_cast<size_t>(n), nlh->nlmsg_seq, 0, nullptr, nullptr);
    if (ret == MNL_CB_ERROR) return -errno;
    if (ret == MNL_CB_STOP) return 0;
  }
}

}  // namespace

int RawRtnlOpen() {
  int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  return sock < 0 ? -errno : sock;
}

int RawLinkUp(int sock, int ifindex) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  ifinfomsg* ifm = PutLinkHeader(nlh, RTM_NEWLINK, 0);

  ifm->ifi_index = ifindex;
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;
  return Transact(sock, nlh);
}

int RawCreateVeth(int sock, const char* name, const char* peer, int peer_netns_fd) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  PutLinkHeader(nlh, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);

  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  nlattr* peer_info = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  // The peer's attributes follow its own ifinfomsg.
  auto* peer_ifm = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload_tail(nlh));
  std::memset(peer_ifm, 0, sizeof(*peer_ifm));
  nlh->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
  if (peer_netns_fd >= 0)
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  mnl_attr_nest_end(nlh, peer_info);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  return Transact(sock, nlh);
}

int RawMoveLink(int sock, const char* name, pid_t pid) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  PutLinkHeader(nlh, RTM_NEWLINK, 0);

  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, static_cast<uint32_t>(pid));
  return Transact(sock, nlh);
}

int RawDeleteLink(int sock, const char* name) {
  char buf[kBufSize];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  PutLinkHeader(nlh, RTM_DELLINK, 0);

  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  return Transact(sock, nlh);
}

bool DeleteOwnedLink(const std::string& name) {
  if (!OwnedName(name) || name.size() >= IFNAMSIZ) {
    throw Error(ErrorKind::kFailure,
                "refusing to delete network device '" + name + "': not an isocost device name");
  }
  int sock = RawRtnlOpen();
  if (sock < 0) throw SysError(-sock, "opening an rtnetlink socket");

  int ret = RawDeleteLink(sock, name.c_str());
  close(sock);
  if (ret == -ENODEV) return false;
  if (ret < 0) throw SysError(-ret, "deleting network device " + name);
  return true;
}

bool LinkExists(const std::string& name) {
  return if_nametoindex(name.c_str()) != 0;
}

}  // namespace isocost
