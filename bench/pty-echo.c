/* The raw pty echo floor for the round-trip benchmark: a process that echoes every byte back on a pseudo-terminal. */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 600
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
  int fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (fd < 0 || grantpt(fd) || unlockpt(fd)) { perror("pty"); return 1; }
  struct termios t;
  tcgetattr(fd, &t);
  cfmakeraw(&t);
  tcsetattr(fd, TCSANOW, &t);
  /* Raw mode on the slave side too, so the host's serialport sees bytes unchanged. */
  int slave = open(ptsname(fd), O_RDWR | O_NOCTTY);
  if (slave >= 0) { tcgetattr(slave, &t); cfmakeraw(&t); tcsetattr(slave, TCSANOW, &t); close(slave); }
  printf("PTY %s\n", ptsname(fd));
  fflush(stdout);
  unsigned char buf[256];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) { usleep(1000); continue; } /* EIO until the host opens the slave side */
    if (n == 0) continue;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(fd, buf + off, (size_t)(n - off));
      if (w > 0) off += w;
    }
  }
}
