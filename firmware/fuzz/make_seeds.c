/* Writes the fuzzer's seed corpus: valid frame sequences (handshake, wiring, arming, setpoints) into a directory. */
#include <stdio.h>
#include <string.h>
#include "gng_messages.h"
#include "frame_tx.h"

static uint8_t buf[2048];
static size_t n;
static uint8_t seq;

static void frame(const uint8_t *p, uint8_t len) {
  uint8_t *f = buf + n;
  memcpy(f + GNG_FRAME_PAYLOAD_AT, p, len);
  n += gng_frame_seal(f, len, seq++);
}

static void simple(uint8_t id) { frame(&id, 1); }

static void save(const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return;
  }
  fwrite(buf, 1, n, f);
  fclose(f);
  n = 0;
  seq = 0;
}

static void wiring(void) {
  uint8_t p[64];
  gng_config_link_t l = {100, 1000, 2};
  frame(p, gng_encode_config_link(p, &l));
  gng_config_motor_t m = {0, 30, 31, 8, 26, 27, 16, 17, GNG_MOTOR_FLAG_LIMIT_ACTIVE_LOW, 900};
  frame(p, gng_encode_config_motor(p, &m));
  gng_config_pid_t pid = {0, 3 << 16, 1 << 16, 1 << 14, 300, 2000, 5000};
  frame(p, gng_encode_config_pid(p, &pid));
  gng_config_servo_t s = {0, 13, 1000, 2000, 1500};
  frame(p, gng_encode_config_servo(p, &s));
  gng_config_input_t in = {0, 18, GNG_INPUT_ROLE_ESTOP, GNG_INPUT_FLAG_PULLUP | GNG_INPUT_FLAG_ACTIVE_LOW};
  frame(p, gng_encode_config_input(p, &in));
  gng_config_analog_t a = {0, 19};
  frame(p, gng_encode_config_analog(p, &a));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  uint8_t p[64];

  simple(GNG_MSG_IDENTIFY);
  save(dir, "identify");

  simple(GNG_MSG_IDENTIFY);
  wiring();
  simple(GNG_MSG_ARM);
  gng_set_motors_t sm = {{GNG_MODE_POSITION, GNG_MODE_VELOCITY, GNG_MODE_PWM, GNG_MODE_OFF}, {1000, -500, 300, 0}};
  for (int i = 0; i < 5; i++) frame(p, gng_encode_set_motors(p, &sm));
  gng_set_servo_t ss = {0, 1800};
  frame(p, gng_encode_set_servo(p, &ss));
  gng_set_position_t sp = {0, -42};
  frame(p, gng_encode_set_position(p, &sp));
  simple(GNG_MSG_HEARTBEAT);
  simple(GNG_MSG_DISARM);
  save(dir, "session");

  simple(GNG_MSG_IDENTIFY);
  gng_ping_t ping = {0xDEADBEEF};
  uint8_t two[32];
  uint8_t k = gng_encode_ping(two, &ping);
  k = (uint8_t)(k + gng_encode_ping(two + k, &ping));
  two[k++] = GNG_MSG_ARM;
  frame(two, k);
  gng_set_node_id_t id = {{'b', 'a', 's', 'e'}};
  frame(p, gng_encode_set_node_id(p, &id));
  buf[n++] = 0x3F; /* garbage, then a frame right after it */
  buf[n++] = 0x00;
  simple(GNG_MSG_IDENTIFY);
  save(dir, "multi_and_garbage");
  return 0;
}
