/* Sequencing and acks: replays and gaps are counted and re-acked, identify resyncs, invalid payloads apply nothing. */
#include <string.h>
#include "harness.h"
#include "state.h"
#include "telemetry.h"

static void boot_event_and_defaults(void) {
  t_boot();
  const t_msg_t *m = t_last(GNG_MSG_EVENT);
  CHECK(m != NULL);
  if (m) CHECK_EQ(m->body[0], GNG_EVENT_BOOT);
  t_run_ms(20);
  gng_telemetry_t t = t_telemetry();
  CHECK_EQ(t.faults & (GNG_FAULT_DISARMED | GNG_FAULT_UNCONFIGURED), GNG_FAULT_DISARMED | GNG_FAULT_UNCONFIGURED);
  /* 200 Hz by default: 4 frames in 20 ms */
  CHECK_EQ(t_count(GNG_MSG_TELEMETRY), 4);
}

static void identify_replies_and_acks(void) {
  t_boot();
  t_host_seq = 200;
  t_simple(GNG_MSG_IDENTIFY);
  const t_msg_t *m = t_last(GNG_MSG_IDENTIFY_REPLY);
  CHECK(m != NULL);
  if (!m) return;
  gng_identify_reply_t r;
  gng_decode_identify_reply(m->body, &r);
  CHECK_EQ(r.proto_hash, GNG_PROTO_HASH);
  CHECK_EQ(r.mcu, GNG_MCU_POSIX);
  CHECK_EQ(r.max_motors, 4);
  CHECK_EQ(m->ack, 201); /* identify resynced: expected = its seq + 1 */
}

static void replay_is_counted_and_reacked(void) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY); /* seq 0 */
  t_simple(GNG_MSG_ARM);      /* seq 1: applied */
  CHECK_EQ(t_count(GNG_MSG_EVENT), 2); /* BOOT, ARMED */
  t_host_seq = 1;
  t_forget();
  t_simple(GNG_MSG_ARM);      /* replay of seq 1 */
  CHECK_EQ(t_count(GNG_MSG_EVENT), 0); /* not applied a second time */
  CHECK_EQ(t_frames, 1);      /* but acked at once */
  CHECK(t_last(GNG_MSG_NAK) == NULL); /* with a plain ack: nothing was lost */
  CHECK_EQ(t_last_ack, 2);
  CHECK_EQ(gng.seq_errors, 1);
  t_run_ms(50);
  CHECK_EQ(t_status().seq_errors, 1);
}

static void gap_is_dropped_and_nakked(void) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY); /* seq 0 */
  t_host_seq = 5;             /* seqs 1..4 lost */
  t_forget();
  t_simple(GNG_MSG_ARM);
  CHECK_EQ(t_count(GNG_MSG_EVENT), 0);
  CHECK_EQ(t_last_ack, 1); /* tells the host to go back to 1 */
  const t_msg_t *nak = t_last(GNG_MSG_NAK);
  CHECK(nak != NULL);      /* a NAK naming the dropped frame */
  if (nak) CHECK_EQ(nak->body[0], 5);
  CHECK_EQ(gng.seq_errors, 1);
  CHECK(!gng_armed());
}

static void seq_wraps(void) {
  t_boot();
  t_host_seq = 254;
  t_simple(GNG_MSG_IDENTIFY);
  for (int i = 0; i < 4; i++) t_simple(GNG_MSG_HEARTBEAT);
  uint8_t p[5] = {GNG_MSG_PING, 1, 2, 3, 4};
  t_send(p, 5);
  CHECK_EQ(gng.seq_errors, 0);
  CHECK_EQ(t_last_ack, 4);
  CHECK(t_last(GNG_MSG_PONG) != NULL);
}

static void unknown_id_applies_nothing(void) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY);
  t_forget();
  /* arm, then an unknown id: the arm before it must not run */
  uint8_t p[4] = {GNG_MSG_ARM, 0x55};
  t_send(p, 2);
  CHECK(!gng_armed());
  CHECK_EQ(t_count(GNG_MSG_EVENT), 0);
  const t_msg_t *e = t_last_error();
  CHECK(e != NULL);
  if (e) {
    CHECK_EQ(e->body[0], GNG_ERR_UNKNOWN_MSG);
    CHECK_EQ(e->body[1], 0x55);
  }
  /* an MCU->host id is not a command either */
  uint8_t q[4] = {GNG_MSG_ARM, GNG_MSG_PONG};
  t_send(q, 2);
  CHECK(!gng_armed());
  t_run_ms(60); /* status every 10th telemetry frame at 200 Hz */
  CHECK_EQ(t_status().crc_errors, 2);
}

static void truncated_message_applies_nothing(void) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY);
  uint8_t p[8] = {GNG_MSG_ARM, GNG_MSG_PING, 1, 2}; /* ping needs 4 bytes */
  t_send(p, 4);
  CHECK(!gng_armed());
  const t_msg_t *e = t_last_error();
  CHECK(e != NULL);
  if (e) CHECK_EQ(e->body[0], GNG_ERR_BAD_LENGTH);
  CHECK(t_last(GNG_MSG_PONG) == NULL);
}

static void several_messages_in_one_frame(void) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY);
  uint8_t p[16] = {GNG_MSG_PING, 1, 0, 0, 0, GNG_MSG_ARM, GNG_MSG_PING, 2, 0, 0, 0};
  t_send(p, 11);
  CHECK_EQ(t_count(GNG_MSG_PONG), 2);
  CHECK(gng_armed());
}

static void stream_frames_are_acked_lazily(void) {
  t_boot();
  t_config_link(0, 0, 1); /* no telemetry */
  t_forget();
  t_simple(GNG_MSG_HEARTBEAT);
  CHECK_EQ(t_frames, 0); /* not at once */
  t_run_ms(5);
  CHECK_EQ(t_frames, 1); /* but within 5 ms */
  CHECK_EQ(t_empty_frames, 1);
  CHECK_EQ(t_last_ack, t_host_seq);
  /* with telemetry on, the telemetry frame carries the ack */
  t_config_link(0, 1000, 10);
  t_forget();
  t_simple(GNG_MSG_HEARTBEAT);
  t_run_ms(1);
  CHECK_EQ(t_empty_frames, 0);
  CHECK_EQ(t_last_ack, t_host_seq);
}

static void non_stream_frames_are_acked_at_once(void) {
  t_boot();
  t_config_link(0, 0, 1);
  CHECK_EQ(t_empty_frames, 1); /* config_link has no reply message: an empty ack frame */
  CHECK_EQ(t_last_ack, t_host_seq);
}

static void ping_is_answered_without_a_tick(void) {
  t_boot();
  t_forget();
  uint8_t p[5] = {GNG_MSG_PING, 0x78, 0x56, 0x34, 0x12};
  t_send(p, 5); /* no time passes */
  const t_msg_t *m = t_last(GNG_MSG_PONG);
  CHECK(m != NULL);
  if (m) {
    gng_pong_t r;
    gng_decode_pong(m->body, &r);
    CHECK_EQ(r.token, 0x12345678u);
  }
}

static void telemetry_rate_and_status_div(void) {
  t_boot();
  t_config_link(0, 333, 3);
  t_forget();
  t_run_ms(1000);
  CHECK_EQ(t_count(GNG_MSG_TELEMETRY), 333);
  CHECK_EQ(t_count(GNG_MSG_STATUS), 111);
  t_config_link(0, 1001, 3);
  const t_msg_t *e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_BAD_VALUE && e->body[1] == GNG_MSG_CONFIG_LINK);
}

static void node_id_persists(void) {
  t_boot();
  uint8_t p[9] = {GNG_MSG_SET_NODE_ID, 'b', 'a', 's', 'e'};
  t_send(p, 9);
  t_boot(); /* reboot: same emulated EEPROM */
  t_simple(GNG_MSG_IDENTIFY);
  const t_msg_t *m = t_last(GNG_MSG_IDENTIFY_REPLY);
  CHECK(m != NULL);
  if (m) CHECK(memcmp(m->body + 12, "base\0\0\0\0", 8) == 0);
}

static void telemetry_bytes_match_generated_encoder(void) {
  t_boot();
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++) {
    gng.motor[i].pos = (int32_t)(0x81234567u + i * 0x01010101u);
    gng.motor[i].vel_cps = (int16_t)(-1234 * (i + 1));
    gng.motor[i].out_permille = (int16_t)(250 * i - 400);
  }
  gng.tel_counter = 0xBEEF;
  gng.faults = 0x81;
  gng.overrun_pending = 1;
  gng_telemetry_t t;
  t.counter = 0xBEEF;
  t.time_us = 0xCAFEF00Du;
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++) {
    t.counts[i] = gng.motor[i].pos;
    t.vel_cps[i] = gng.motor[i].vel_cps;
    t.out_permille[i] = gng.motor[i].out_permille;
  }
  t.faults = 0x81 | GNG_FAULT_OVERRUN;
  uint8_t want[64], got[64];
  CHECK_EQ(gng_encode_telemetry(want, &t), 1 + GNG_MSG_TELEMETRY_SIZE);
  gng_telemetry_encode(got, 0xCAFEF00Du);
  CHECK(memcmp(want, got, 1 + GNG_MSG_TELEMETRY_SIZE) == 0);
}

/* A frame cut short and then silence (the host restarted mid-frame): the main loop gives it up after
   GNG_FRAME_IDLE_MS without bytes, so the host's next frame is answered at once instead of filling up the old one. */
static void cut_frame_is_given_up_when_the_line_goes_quiet(void) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY); /* in step */
  uint8_t f[64], p[20] = {GNG_MSG_SET_MOTORS};
  size_t n = t_frame(f, t_host_seq, p, 20);
  t_send_raw(f, n / 2);
  t_run_ms(GNG_FRAME_IDLE_MS + 1);
  t_forget();
  uint8_t q[5] = {GNG_MSG_PING, 1, 2, 3, 4};
  t_send(q, 5);
  CHECK(t_last(GNG_MSG_PONG) != NULL);
  CHECK_EQ(gng.rx.errors, 1);
}

/* status.applied_*: every in-sequence frame once, in order; replays, gaps and refused payloads not; identify restarts. */
static uint32_t t_sums(const uint8_t *const *payloads, const uint8_t *lens, int n) {
  uint16_t s1 = 0, s2 = 0;
  for (int i = 0; i < n; i++)
    for (uint8_t k = 0; k < lens[i]; k++) {
      s1 = (uint16_t)(s1 + payloads[i][k]);
      s2 = (uint16_t)(s2 + s1);
    }
  return ((uint32_t)s2 << 16) | s1;
}

static void applied_record_counts_each_frame_once_in_order(void) {
  t_boot();
  t_simple(GNG_MSG_HEARTBEAT); /* before any identify: forgotten by the identify below */
  t_simple(GNG_MSG_IDENTIFY);
  uint8_t a[5] = {GNG_MSG_PING, 1, 2, 3, 4}, b[5] = {GNG_MSG_PING, 9, 9, 9, 9}, hb[1] = {GNG_MSG_HEARTBEAT};
  uint8_t id[1] = {GNG_MSG_IDENTIFY};
  t_send(a, 5);
  t_send(b, 5);
  t_host_seq = (uint8_t)(t_host_seq - 1);
  t_send(b, 5);                /* a replay: not applied again */
  t_host_seq = (uint8_t)(t_host_seq + 3);
  t_send(hb, 1);               /* a gap: dropped */
  t_host_seq = (uint8_t)(t_host_seq - 4);
  uint8_t bad[2] = {0x55, 0};
  t_send(bad, 1);              /* refused (unknown id): consumes its seq, applies nothing */
  t_send(hb, 1);
  t_run_ms(60);
  gng_status_t st = t_status();
  const uint8_t *order[4] = {id, a, b, hb};
  const uint8_t lens[4] = {1, 5, 5, 1};
  CHECK_EQ(st.applied_frames, 4);
  CHECK_EQ(st.applied_sum, t_sums(order, lens, 4));
  const uint8_t *swapped[4] = {id, b, a, hb};
  CHECK(st.applied_sum != t_sums(swapped, lens, 4)); /* the order shows (for frames whose byte sums differ) */
  t_simple(GNG_MSG_IDENTIFY);
  t_run_ms(60);
  st = t_status();
  CHECK_EQ(st.applied_frames, 1);
  CHECK_EQ(st.applied_sum, t_sums(order, lens, 1));
}

int main(void) {
  RUN(telemetry_bytes_match_generated_encoder);
  RUN(boot_event_and_defaults);
  RUN(identify_replies_and_acks);
  RUN(replay_is_counted_and_reacked);
  RUN(gap_is_dropped_and_nakked);
  RUN(seq_wraps);
  RUN(unknown_id_applies_nothing);
  RUN(truncated_message_applies_nothing);
  RUN(several_messages_in_one_frame);
  RUN(stream_frames_are_acked_lazily);
  RUN(non_stream_frames_are_acked_at_once);
  RUN(ping_is_answered_without_a_tick);
  RUN(telemetry_rate_and_status_div);
  RUN(node_id_persists);
  RUN(cut_frame_is_given_up_when_the_line_goes_quiet);
  RUN(applied_record_counts_each_frame_once_in_order);
  return t_summary("test_link");
}
