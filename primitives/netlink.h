// Network devices through rtnetlink, with messages built and parsed by
// libmnl. The Raw* calls allocate nothing and throw nothing, so that a child
// cloned from a multithreaded process (where malloc may be locked) can use
// them; they return 0 or -errno. The others throw errors with context.
#pragma once

#include <sys/types.h>

#include <string>

namespace isocost {

inline constexpr int kLoopbackIndex = 1;  // lo in every network namespace

// A NETLINK_ROUTE socket in the caller's network namespace, or -errno.
int RawRtnlOpen();
// Sets IFF_UP on a link.
int RawLinkUp(int sock, int ifindex);
// Creates a veth pair `name` - `peer`; the peer goes into the network
// namespace open at peer_netns_fd (-1: the caller's).
int RawCreateVeth(int sock, const char* name, const char* peer, int peer_netns_fd);
// Moves link `name` into the network namespace of process pid.
int RawMoveLink(int sock, const char* name, pid_t pid);
// Deletes link `name`; -ENODEV when there is none.
int RawDeleteLink(int sock, const char* name);

// Deletes a link of the caller's network namespace if it exists; true if it
// did. Refuses a name without "isocost".
bool DeleteOwnedLink(const std::string& name);
// Whether a link of that name exists in the caller's network namespace.
bool LinkExists(const std::string& name);

}  // namespace isocost
