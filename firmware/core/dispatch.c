/* Applies host messages (see dispatch.h). */
#include <string.h>
#include "dispatch.h"
#include "state.h"
#include "config.h"
#include "motor.h"
#include "servo.h"
#include "safety.h"
#include "emit.h"
#include "../hal/hal.h"

static int8_t host_msg_size(uint8_t id) {
  if (id & GNG_MSG_M2H_BIT) return -1; /* MCU->host ids are not commands (the generated header asserts the rule) */
  return gng_msg_size(id);
}

uint16_t gng_payload_check(const uint8_t *payload, uint8_t len, uint8_t *bad_at) {
  uint8_t off = 0;
  while (off < len) {
    uint8_t id = payload[off];
    int8_t size = host_msg_size(id);
    *bad_at = off;
    if (size < 0) return (uint16_t)((GNG_ERR_UNKNOWN_MSG << 8) | id);
    if ((uint16_t)off + 1u + (uint16_t)size > len) return (uint16_t)((GNG_ERR_BAD_LENGTH << 8) | id);
    off = (uint8_t)(off + 1 + size);
  }
  return 0;
}

uint8_t gng_payload_needs_reply(const uint8_t *payload, uint8_t len) {
  for (uint8_t off = 0; off < len; off = (uint8_t)(off + 1 + host_msg_size(payload[off])))
    if (!gng_msg_is_stream(payload[off])) return 1;
  return 0;
}

static void reply_identify(void) {
  gng_identify_reply_t r;
  r.fw_major = GNG_FW_VERSION_MAJOR;
  r.fw_minor = GNG_FW_VERSION_MINOR;
  r.proto_hash = GNG_PROTO_HASH;
  r.mcu = hal_mcu_type();
  r.caps = hal_caps();
  r.max_motors = GNG_MAX_MOTORS;
  r.max_servos = GNG_MAX_SERVOS;
  r.rx_buffer_bytes = hal_rx_buffer_bytes();
  memcpy(r.node_id, gng.node_id, sizeof r.node_id);
  uint8_t *p = gng_outbox_reserve(&gng.out, 1 + GNG_MSG_IDENTIFY_REPLY_SIZE, gng.expected_seq);
  gng_outbox_commit(&gng.out, gng_encode_identify_reply(p, &r));
}

static void reply_pong(uint32_t token) {
  gng_pong_t r = {token, hal_micros()};
  uint8_t *p = gng_outbox_reserve(&gng.out, 1 + GNG_MSG_PONG_SIZE, gng.expected_seq);
  gng_outbox_commit(&gng.out, gng_encode_pong(p, &r));
}

static void refused(uint16_t r, uint8_t msg_id) {
  if (!r) return;
  gng.faults |= GNG_FAULT_CONFIG_ERROR;
  gng_emit_error((uint8_t)(r >> 8), msg_id, (uint8_t)r);
}

/* A little-endian int32 of the wire format (gng_decode_set_motors() reads it the same way). */
static inline int32_t get_i32(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
#else
  return (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
#endif
}

/* The 1 kHz setpoint stream: read straight from the payload at the generated offsets (mode[4] u8, value[4] i32). */
_Static_assert(sizeof(((gng_set_motors_t *)0)->mode[0]) == 1 && sizeof(((gng_set_motors_t *)0)->value[0]) == 4,
               "set_motors field sizes changed: update gng_dispatch_set_motors()");
void gng_dispatch_set_motors(const uint8_t *p) {
  if (!gng_armed()) return; /* setpoints are ignored while disarmed: outputs stay at their defaults */
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++)
    gng_motor_set(i, p[GNG_MSG_SET_MOTORS_MODE_AT + i], get_i32(&p[GNG_MSG_SET_MOTORS_VALUE_AT + 4u * i]));
}

static void set_servo(const gng_set_servo_t *m) {
  if (m->index >= GNG_MAX_SERVOS) {
    gng_emit_error(GNG_ERR_BAD_INDEX, GNG_MSG_SET_SERVO, m->index);
  } else if (gng.servo[m->index].pin == GNG_PIN_NONE) {
    gng_emit_error(GNG_ERR_NOT_CONFIGURED, GNG_MSG_SET_SERVO, m->index);
  } else if (gng_armed()) {
    gng_servo_set(m->index, m->pulse_us); /* ignored while disarmed, like set_motors */
  }
}

static void set_position(const gng_set_position_t *m) {
  if (m->index >= GNG_MAX_MOTORS) {
    gng_emit_error(GNG_ERR_BAD_INDEX, GNG_MSG_SET_POSITION, m->index);
  } else if (gng.motor[m->index].pwm_pin == GNG_PIN_NONE) {
    gng_emit_error(GNG_ERR_NOT_CONFIGURED, GNG_MSG_SET_POSITION, m->index);
  } else {
    gng_motor_set_position(m->index, m->counts);
  }
}

static void set_node_id(const gng_set_node_id_t *m) {
  memcpy(gng.node_id, m->node_id, GNG_NODE_ID_BYTES);
  hal_eeprom_write(GNG_NODE_ID_EEPROM_ADDR, gng.node_id, GNG_NODE_ID_BYTES);
}

/* One message; p points after its id. The structs are decoded one at a time to keep the AVR stack small. */
static void apply(uint8_t id, const uint8_t *p) {
  union {
    gng_config_link_t link;
    gng_config_motor_t motor;
    gng_config_pid_t pid;
    gng_config_servo_t servo;
    gng_config_analog_t analog;
    gng_config_input_t input;
    gng_set_servo_t set_servo;
    gng_ping_t ping;
    gng_set_node_id_t node_id;
    gng_set_position_t set_position;
  } m;
  switch (id) {
    case GNG_MSG_IDENTIFY: reply_identify(); break;
    case GNG_MSG_CONFIG_LINK: gng_decode_config_link(p, &m.link); refused(gng_config_link(&m.link), id); break;
    case GNG_MSG_CONFIG_MOTOR: gng_decode_config_motor(p, &m.motor); refused(gng_config_motor(&m.motor), id); break;
    case GNG_MSG_CONFIG_PID: gng_decode_config_pid(p, &m.pid); refused(gng_config_pid(&m.pid), id); break;
    case GNG_MSG_CONFIG_SERVO: gng_decode_config_servo(p, &m.servo); refused(gng_config_servo(&m.servo), id); break;
    case GNG_MSG_CONFIG_ANALOG: gng_decode_config_analog(p, &m.analog); refused(gng_config_analog(&m.analog), id); break;
    case GNG_MSG_CONFIG_INPUT: gng_decode_config_input(p, &m.input); refused(gng_config_input(&m.input), id); break;
    case GNG_MSG_ARM: gng_arm(); break;
    case GNG_MSG_DISARM: gng_disarm(); break;
    case GNG_MSG_SET_MOTORS: gng_dispatch_set_motors(p); break;
    case GNG_MSG_SET_SERVO: gng_decode_set_servo(p, &m.set_servo); set_servo(&m.set_servo); break;
    case GNG_MSG_PING: gng_decode_ping(p, &m.ping); reply_pong(m.ping.token); break;
    case GNG_MSG_SET_NODE_ID: gng_decode_set_node_id(p, &m.node_id); set_node_id(&m.node_id); break;
    case GNG_MSG_SET_POSITION: gng_decode_set_position(p, &m.set_position); set_position(&m.set_position); break;
    case GNG_MSG_HEARTBEAT: break; /* its arrival already fed the link watchdog */
    case GNG_MSG_ESTOP: gng_estop(); break; /* inside a longer frame: sequenced like any command */
    default: break;                /* unreachable: gng_payload_check() ran first */
  }
}

void gng_dispatch(const uint8_t *payload, uint8_t len) {
  for (uint8_t off = 0; off < len;) {
    uint8_t id = payload[off];
    apply(id, &payload[off + 1]);
    off = (uint8_t)(off + 1 + host_msg_size(id));
  }
}
