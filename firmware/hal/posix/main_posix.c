/* The posix target's entry point: serves the protocol on a fresh pseudo-terminal (or stdio) at a 1 kHz tick. */
#define _GNU_SOURCE /* posix_openpt, ptsname, cfmakeraw, ppoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "../hal.h"
#include "hal_posix.h"
#include "../../core/app.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [--stdio] [--eeprom PATH] [--rt]\n"
          "  Serves the Ganglion MCU protocol. By default it opens a pseudo-terminal and prints \"PTY <path>\" as its\n"
          "  first line; --stdio serves on stdin/stdout instead. --eeprom keeps the node id in PATH across runs.\n"
          "  --rt asks for SCHED_FIFO (fewer late ticks on a busy machine, but it can starve other processes).\n",
          argv0);
}

static int make_raw(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return -1;
  cfmakeraw(&t);
  return tcsetattr(fd, TCSANOW, &t);
}

/* Opens a pty pair and returns the master. The slave stays open here too: otherwise reading the master fails with
   EIO whenever no host has the port open, and the data of a host that reconnects would be lost. */
static int open_pty(char *name, size_t name_len) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return -1;
  const char *slave_name = ptsname(master);
  if (!slave_name) return -1;
  snprintf(name, name_len, "%s", slave_name);
  int slave = open(slave_name, O_RDWR | O_NOCTTY);
  if (slave < 0 || make_raw(slave) != 0) return -1; /* raw: no echo, no line editing, 8-bit clean */
  return master;
}

int main(int argc, char **argv) {
  int use_stdio = 0, realtime = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--stdio") == 0) {
      use_stdio = 1;
    } else if (strcmp(argv[i], "--rt") == 0) {
      realtime = 1;
    } else if (strcmp(argv[i], "--eeprom") == 0 && i + 1 < argc) {
      hal_posix_eeprom_file(argv[++i]);
    } else {
      usage(argv[0]);
      return strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);

  int rx, tx;
  if (use_stdio) {
    rx = STDIN_FILENO;
    tx = STDOUT_FILENO;
    if (isatty(rx)) make_raw(rx);
  } else {
    char name[256];
    rx = tx = open_pty(name, sizeof name);
    if (rx < 0) {
      perror("ganglion: cannot open a pseudo-terminal");
      return 1;
    }
    printf("PTY %s\n", name);
    fflush(stdout);
  }
  fcntl(rx, F_SETFL, fcntl(rx, F_GETFL) | O_NONBLOCK);
  if (tx != rx) fcntl(tx, F_SETFL, fcntl(tx, F_GETFL) | O_NONBLOCK);

  /* A 1 kHz tick from poll() needs the kernel to wake us on time: no timer slack. Real-time priority only on request
     (--rt): it makes late wake-ups (counted as overruns) rarer on a loaded machine, but a SCHED_FIFO process that
     spins would starve everything else on its core, and on a shared machine that is worse than a late tick. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  if (realtime) {
    struct sched_param sp = {.sched_priority = 10};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) perror("ganglion: --rt: SCHED_FIFO not granted, running without it");
  }

  hal_posix_serial_fds(rx, tx);
  hal_init();
  gng_init();
  while (!stop && !hal_posix_rx_eof()) {
    /* Sleep until a byte arrives or the next tick is due; bytes are answered at once, not at the next tick. */
    int32_t wait_us = (int32_t)(hal_posix_next_tick_us() - hal_micros());
    if (wait_us < 0) wait_us = 0;
    struct timespec ts = {0, (long)wait_us * 1000L};
    struct pollfd p = {rx, POLLIN, 0};
    int ready = ppoll(&p, 1, &ts, NULL);
    if (ready < 0 && errno != EINTR) break;
    /* No byte waiting (a tick timeout): skip the read() that would only return EAGAIN. */
    hal_posix_rx_ready(ready > 0);
    gng_poll();
  }
  return 0;
}
