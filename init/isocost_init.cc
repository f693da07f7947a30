// isocost-init: the init process of an end-to-end container (the container
// experiment). Statically linked, so that it runs in the minimal busybox
// root isocost prepares.
//
//   isocost-init SOCKET READY_FD SHELL
//
// Listens on the Unix socket SOCKET (in the container's scratch directory),
// tells its creator it is ready by writing one byte to READY_FD, accepts one
// connection, reads one request line, runs SHELL (busybox sh) to answer it
// with "reply <request>", and exits with the shell's status. The socket file
// is removed before it exits.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int Fail(const char* what) {
  std::fprintf(stderr, "isocost-init: %s: %s\n", what, std::strerror(errno));
  return 1;
}

// Creates the listening socket and reports readiness.
int Listen(const char* path, int ready_fd) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (std::strlen(path) >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::strcpy(addr.sun_path, path);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return -1;
  if (listen(fd, 1) != 0) return -1;

  char byte = 1;
  if (write(ready_fd, &byte, 1) != 1) return -1;
  close(ready_fd);
  return fd;
}

// Runs the shell with the connection as its input and output; the shell
// reads the request line and writes the reply.
int Serve(int conn, const char* shell) {
  pid_t pid = fork();
  if (pid < 0) return Fail("fork");
  if (pid == 0) {
    dup2(conn, 0);
    dup2(conn, 1);
    execl(shell, "sh", "-c", "read -r request; echo \"reply $request\"", nullptr);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Fail("waitpid");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: isocost-init SOCKET READY_FD SHELL\n");
    return 2;
  }
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);  // isocost blocks stop signals in its children

  int listener = Listen(argv[1], std::atoi(argv[2]));
  if (listener < 0) return Fail("listening");
  int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return Fail("accept");
  int status = Serve(conn, argv[3]);
  close(conn);
  unlink(argv[1]);
  return status;
}
