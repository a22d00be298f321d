/* Host->MCU sequencing (see link.h). */
#include "link.h"
#include "state.h"
#include "dispatch.h"
#include "safety.h"
#include "emit.h"
#include "../hal/hal.h"

static void apply_payload(const uint8_t *payload, uint8_t len);

/* The record of what was applied, for the host's exactly-once, in-order check (status.applied_*). Two running sums
   (Fletcher's idea) rather than the frame CRC: a corrupted frame that slipped past the CRC has, by definition, the
   same CRC as the right one, while these sums of its bytes differ. A few cycles a byte. */
static void note_applied(const uint8_t *payload, uint8_t len) {
  uint16_t s1 = gng.applied_sum1, s2 = gng.applied_sum2;
  while (len--) {
    s1 = (uint16_t)(s1 + *payload++);
    s2 = (uint16_t)(s2 + s1);
  }
  gng.applied_sum1 = s1;
  gng.applied_sum2 = s2;
  gng.applied_frames++;
}

/* A lone e-stop acts at once whatever its seq: the host sends it ahead of the frames queued or in flight (which would
   put it out of order), and repeats it until the ESTOP event comes back. Stopping twice is harmless, so a replay or
   duplicate needs no seq to be caught; it consumes none (the host does not count it), and does not feed the link
   watchdog. Checked off the set_motors fast path: the 1 kHz stream pays nothing for it. */
static uint8_t lone_estop(const uint8_t *payload, uint8_t len) {
  if (len != 1 + GNG_MSG_ESTOP_SIZE || payload[0] != GNG_MSG_ESTOP) return 0;
  gng_estop();
  return 1;
}

/* A stream-only frame: its ack may wait for the next telemetry frame (see gng_link_poll()). */
static void lazy_ack(void) {
  if (!gng.lazy_ack) {
    gng.lazy_ack = 1;
    gng.lazy_ack_ms = hal_millis();
  }
}

/* An in-sequence frame: consumes its seq; only such frames prove the host is alive and in step. */
static inline void in_step(void) {
  gng.expected_seq++;
  gng.last_rx_ms = hal_millis();
}

void gng_link_on_frame(void *ctx, uint8_t seq, const uint8_t *payload, uint8_t len) {
  (void)ctx;
  /* A lone identify resynchronises: after an MCU reset or a host restart neither side knows the other's seq. */
  if (len == 1 + GNG_MSG_IDENTIFY_SIZE && payload[0] == GNG_MSG_IDENTIFY) {
    gng.expected_seq = seq;
    /* A new host session starts its own record of what was applied. */
    gng.applied_frames = 0;
    gng.applied_sum1 = gng.applied_sum2 = 0;
  }
  if (seq != gng.expected_seq) {
    if (lone_estop(payload, len)) return;
    /* Either a replay (within the 128 seqs before expected: already applied, the host missed our ack) or a gap (a
       frame was lost). Neither is applied; the ack we send tells the host where to resume. Only a gap is a NAK: a
       replay answered by a NAK would make the host resend frames that are merely still on their way. */
    gng.seq_errors++;
    if ((uint8_t)(seq - gng.expected_seq) < 128u) gng_emit_nak(seq);
    else gng.out.ack_due = 1;
    return;
  }
  if (len == 1 + GNG_MSG_SET_MOTORS_SIZE && payload[0] == GNG_MSG_SET_MOTORS) {
    /* The 1 kHz setpoint stream, alone in its frame: well formed by its length, and a stream message (no reply).
       Applied here, the general path below (check, dispatch, reply test) would do exactly the same. */
    in_step();
    gng_dispatch_set_motors(&payload[1]);
    hal_serial_pump();
    note_applied(payload, len);
    lazy_ack();
    return;
  }
  if (lone_estop(payload, len)) return;
  in_step();
  apply_payload(payload, len);
}

static void __attribute__((noinline)) apply_payload(const uint8_t *payload, uint8_t len) {
  uint8_t bad_at = 0;
  uint16_t bad = gng_payload_check(payload, len, &bad_at);
  if (bad) {
    /* Nothing of an invalid payload is applied. It consumed its seq, so the host is not asked to resend it. */
    gng.payload_errors++;
    gng_emit_error((uint8_t)(bad >> 8), (uint8_t)bad, bad_at);
    return;
  }
  gng_dispatch(payload, len);
  note_applied(payload, len);
  if (gng_payload_needs_reply(payload, len)) {
    gng.out.ack_due = 1; /* the reply (or an empty frame) goes out at the end of this main loop iteration */
  } else {
    lazy_ack();
  }
}

void gng_link_poll(void) {
  /* Telemetry at >= 50 Hz carries the ack of a setpoint stream; slower or no telemetry, the host still needs one soon
     (its retransmit timer starts at 25 ms), so an empty frame goes out. */
  if (gng.lazy_ack && gng.telemetry_hz < GNG_LAZY_ACK_MIN_HZ &&
      (uint32_t)(hal_millis() - gng.lazy_ack_ms) >= GNG_LAZY_ACK_MS)
    gng.out.ack_due = 1;
}
