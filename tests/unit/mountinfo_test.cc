#include <gtest/gtest.h>

#include "primitives/cgroup.h"

namespace isocost {
namespace {

const char* kHybrid =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:7 - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "42 31 0:39 / /mnt/my\\040dir rw - cgroup cgroup rw,pids\n";

TEST(Mountinfo, HybridLayout) {
  CgroupMounts m = ParseCgroupMounts(kHybrid);
  EXPECT_EQ(m.Layout(), "hybrid");
  ASSERT_TRUE(m.v2.has_value());
  EXPECT_EQ(*m.v2, "/sys/fs/cgroup/unified");
  ASSERT_EQ(m.v1.size(), 4u);
  ASSERT_NE(m.FindV1("cpuacct"), nullptr);
  EXPECT_EQ(m.FindV1("cpuacct")->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m.FindV1("cpu"), m.FindV1("cpuacct"));
  ASSERT_NE(m.FindV1("name=systemd"), nullptr);
  EXPECT_EQ(m.FindV1("name=systemd")->controllers.size(), 1u);  // xattr is an option
  EXPECT_EQ(m.FindV1("pids")->mount_point, "/mnt/my dir");
  EXPECT_EQ(m.FindV1("blkio"), nullptr);
}

TEST(Mountinfo, UnifiedOnly) {
  CgroupMounts m = ParseCgroupMounts(
      "30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  EXPECT_EQ(m.Layout(), "v2");
  EXPECT_TRUE(m.v1.empty());
}

TEST(Mountinfo, NoCgroups) {
  EXPECT_EQ(ParseCgroupMounts("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n").Layout(), "none");
}

}  // namespace
}  // namespace isocost
