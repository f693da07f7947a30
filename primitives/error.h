// Errors of isocost: a kind that decides the exit status, and a message that
// each layer extends with what it was trying to do.
#pragma once

#include <stdexcept>
#include <string>

namespace isocost {

// The kind of an error decides the process exit status (see ExitStatus).
enum class ErrorKind {
  kFailure,      // something failed while measuring or changing the host
  kUsage,        // bad command line or bad config
  kUnsupported,  // this host lacks a privilege or kernel feature
  kInterrupted,  // SIGINT or SIGTERM arrived
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// An error from a system call: "what: strerror(err)". Keeps errno.
class SysError : public Error {
 public:
  SysError(int err, const std::string& what);

  int err() const { return err_; }

 private:
  int err_;
};

// Throws SysError with the current errno.
[[noreturn]] void ThrowErrno(const std::string& what);

// Returns e's message prefixed with "context: ", keeping its kind.
Error WithContext(const std::string& context, const Error& e);

// Runs f; an Error escaping it is rethrown with "context: " in front.
template <typename F>
auto InContext(const std::string& context, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw WithContext(context, e);
  }
}

// Exit statuses of the isocost commands, documented in --help and README.md.
enum ExitStatus : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitUsage = 2,
  kExitUnsupported = 3,
  kExitRegression = 4,  // isocost compare found a regression
  kExitInterrupted = 130,
};

int ExitStatusFor(ErrorKind kind);

}  // namespace isocost
