/* Sets one thread's normal-class scheduling without privileges: policy SCHED_OTHER or SCHED_BATCH and the EEVDF slice
   (sched_attr.sched_runtime, Linux >= 6.12; older kernels ignore it). chrt before util-linux 2.41 cannot set a slice.
   usage: sched-attr <tid> <other|batch> <slice_ns, 0 = the kernel's default>
   prints: policy <n> nice <n> slice_ns <n>, as the kernel reports them afterwards; exit 1 with the errno text if refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct sched_attr_v1 { /* <linux/sched/types.h>, SCHED_ATTR_SIZE_VER1 */
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[2], "other") && strcmp(argv[2], "batch"))) {
    fprintf(stderr, "usage: sched-attr <tid> <other|batch> <slice_ns>\n");
    return 2;
  }
  pid_t tid = (pid_t)atol(argv[1]);
  struct sched_attr_v1 a;
  memset(&a, 0, sizeof a);
  if (syscall(SYS_sched_getattr, tid, &a, sizeof a, 0)) {
    fprintf(stderr, "sched_getattr(%d): %s\n", (int)tid, strerror(errno));
    return 1;
  }
  a.size = sizeof a; /* keeps the thread's nice */
  a.sched_policy = strcmp(argv[2], "batch") ? SCHED_OTHER : SCHED_BATCH;
  a.sched_flags = 0;
  a.sched_priority = 0;
  a.sched_runtime = strtoull(argv[3], NULL, 10);
  if (syscall(SYS_sched_setattr, tid, &a, 0)) {
    fprintf(stderr, "sched_setattr(%d, %s, slice %s ns): %s\n", (int)tid, argv[2], argv[3], strerror(errno));
    return 1;
  }
  memset(&a, 0, sizeof a);
  if (syscall(SYS_sched_getattr, tid, &a, sizeof a, 0)) {
    fprintf(stderr, "sched_getattr(%d): %s\n", (int)tid, strerror(errno));
    return 1;
  }
  printf("policy %u nice %d slice_ns %llu\n", a.sched_policy, a.sched_nice, (unsigned long long)a.sched_runtime);
  return 0;
}
