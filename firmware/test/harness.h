/* Native test harness: a tiny assert macro, and a fake host talking to the core through the posix hal in memory. */
#ifndef GNG_TEST_HARNESS_H
#define GNG_TEST_HARNESS_H
#include <stddef.h>
#include <stdint.h>
#include "gng_messages.h"

extern int t_failures;
void t_fail(const char *file, int line, const char *what, long long a, long long b);
#define CHECK(c) do { if (!(c)) t_fail(__FILE__, __LINE__, #c, 0, 0); } while (0)
#define CHECK_EQ(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
    if (a_ != b_) t_fail(__FILE__, __LINE__, #a " == " #b, a_, b_); } while (0)
#define RUN(test) do { t_begin(#test); test(); } while (0)
void t_begin(const char *name);
int t_summary(const char *suite); /* prints one line, returns the process exit code */

/* A booted firmware with a manual clock; the BOOT event is already collected. */
void t_boot(void);
void t_run_ms(uint32_t ms);     /* advance the clock 1 ms at a time, one main loop pass each */
void t_poll(void);              /* one main loop pass without advancing time */

/* Host -> MCU */
extern uint8_t t_host_seq;      /* seq of the next frame t_send() sends */
size_t t_frame(uint8_t *out, uint8_t seq, const uint8_t *payload, uint8_t n);
void t_send(const uint8_t *payload, uint8_t n);   /* one frame with t_host_seq++, then a main loop pass */
void t_send_raw(const uint8_t *bytes, size_t n);  /* bytes as they are, then a main loop pass */

/* MCU -> host: every frame sent since t_boot(), decoded into messages. */
typedef struct {
  uint8_t ack;   /* seq byte of the frame that carried it */
  uint8_t id;
  uint8_t body[GNG_FRAME_MAX_BYTES];
} t_msg_t;
void t_collect(void);
int t_count(uint8_t id);
const t_msg_t *t_last(uint8_t id); /* or NULL */
void t_forget(void);               /* drop what was collected */
extern int t_frames;               /* frames received */
extern int t_empty_frames;         /* of which had no payload (pure acks) */
extern uint8_t t_last_ack;         /* seq byte of the latest frame */

/* Convenience senders */
void t_config_link(uint16_t watchdog_ms, uint16_t telemetry_hz, uint8_t status_div);
void t_config_motor(uint8_t index, uint8_t pwm, uint8_t dir, uint8_t dir2, uint8_t enc_a, uint8_t enc_b,
                    uint8_t lim_neg, uint8_t lim_pos, uint8_t flags, uint16_t max_pwm);
void t_config_pid(uint8_t index, int32_t kp_q16, int32_t ki_q16, int32_t kd_q16, uint16_t i_limit, int32_t vel_limit,
                  int32_t accel_limit);
void t_config_input(uint8_t index, uint8_t pin, uint8_t role, uint8_t flags);
void t_config_servo(uint8_t index, uint8_t pin, uint16_t min_us, uint16_t max_us, uint16_t default_us);
void t_simple(uint8_t id);      /* a message without fields: arm, disarm, identify, heartbeat */
void t_set_motor(uint8_t index, uint8_t mode, int32_t value); /* the others OFF */
gng_telemetry_t t_telemetry(void); /* latest telemetry message (fails the test if none) */
gng_status_t t_status(void);
const t_msg_t *t_last_error(void);

#endif
