/* The machine's floor for a periodic loop: absolute clock_nanosleep on CLOCK_MONOTONIC (as cyclictest), optional SCHED_FIFO, optionally waking a consumer thread every period; prints the period error as JSON. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The handoff: the loop bumps `published` every period and wakes the consumer, as the worker loop wakes the thread that
 * sends its setpoints to the MCUs. -1 tells the consumer to end. */
static atomic_int published;

static void *consumer(void *arg) {
  (void)arg;
  int seen = 0;
  for (;;) {
    const int s = atomic_load(&published);
    if (s < 0) return NULL;
    if (s == seen) {
      syscall(SYS_futex, &published, FUTEX_WAIT_PRIVATE, s, NULL, NULL, 0);
      continue;
    }
    seen = s;
  }
}

static void publish(int value) {
  atomic_store(&published, value);
  syscall(SYS_futex, &published, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* usage: ref-loop RATE_HZ MEASURE_S WARMUP_S FIFO_PRIORITY (0 = default scheduling) [HANDOFF (1 = wake a consumer thread every period)] */
int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s RATE_HZ MEASURE_S WARMUP_S FIFO_PRIORITY(0=none) [HANDOFF(0|1)]\n", argv[0]);
    return 2;
  }
  const int handoff = argc == 6 && atoi(argv[5]) == 1;
  pthread_t consumer_thread;
  if (handoff && pthread_create(&consumer_thread, NULL, consumer, NULL) != 0) {
    fprintf(stderr, "ref-loop: cannot start the consumer thread\n");
    return 1;
  }
  const double rate_hz = atof(argv[1]);
  const double measure_s = atof(argv[2]), warmup_s = atof(argv[3]);
  const int prio = atoi(argv[4]);
  if (rate_hz <= 0 || measure_s <= 0 || warmup_s < 0 || prio < 0 || prio > 99) {
    fprintf(stderr, "ref-loop: RATE_HZ and MEASURE_S must be > 0, WARMUP_S >= 0, FIFO_PRIORITY 0..99\n");
    return 2;
  }
  const char *rt_error = "";
  if (prio > 0) {
    struct sched_param sp = {.sched_priority = prio};
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) rt_error = strerror(errno);
    mlockall(MCL_CURRENT | MCL_FUTURE); /* as cyclictest: no page faults in the loop; best effort */
  }
  const int64_t period_ns = (int64_t)(1e9 / rate_hz);
  const long warm = (long)(warmup_s * rate_hz), n = (long)(measure_s * rate_hz);
  int64_t *err = malloc(sizeof *err * (size_t)n);
  if (!err) return 1;
  long missed = 0;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  int64_t last = -1;
  for (long i = 0; i < warm + n; i++) {
    next.tv_nsec += period_ns;
    while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
    const int64_t start = now_ns();
    /* Same measure as the host's CadenceStats: |start - previous start - period|. */
    if (last >= 0 && i > warm) {
      const int64_t d = start - last - period_ns;
      err[i - warm - 1] = d < 0 ? -d : d;
      if (start - last > period_ns * 3 / 2) missed += (start - last) / period_ns - 1;
    }
    last = start;
    if (handoff) publish((int)(i + 1));
  }
  if (handoff) {
    publish(-1);
    pthread_join(consumer_thread, NULL);
  }
  const long m = n - 1;
  qsort(err, (size_t)m, sizeof *err, cmp_i64);
  printf("{\"rate_hz\":%g,\"samples\":%ld,\"period_error_p50_us\":%.3f,\"period_error_p99_us\":%.3f,"
         "\"period_error_max_us\":%.3f,\"missed\":%ld,\"fifo_priority\":%d,\"handoff\":%d,\"rt_error\":\"%s\"}\n",
         rate_hz, m, err[m / 2] / 1e3, err[(long)(m * 0.99)] / 1e3, err[m - 1] / 1e3, missed, prio, handoff, rt_error);
  free(err);
  return 0;
}
