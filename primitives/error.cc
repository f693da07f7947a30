#include "error.h"

#include <cerrno>
#include <cstring>

namespace isocost {

SysError::SysError(int err, const std::string& what)
    : Error(ErrorKind::kFailure, what + ": " + std::strerror(err)), err_(err) {}

void ThrowErrno(const std::string& what) {
  throw SysError(errno, what);
}

Error WithContext(const std::string& context, const Error& e) {
  return Error(e.kind(), context + ": " + e.what());
}

int ExitStatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kFailure:
      return kExitFailure;
    case ErrorKind::kUsage:
      return kExitUsage;
    case ErrorKind::kUnsupported:
      return kExitUnsupported;
    case ErrorKind::kInterrupted:
      return kExitInterrupted;
  }
  return kExitFailure;
}

}  // namespace isocost
