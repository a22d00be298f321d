// Emulated Arduino (simavr) that boots into a real bootloader with its USART0 bridged to a pty, for flashing tests.
//
// usage: optiboot_sim --boot optiboot.hex [--mcu atmega328p] [--app firmware.hex] [--dump flash.bin] [--trace]
// Prints "PTY <path>" on stdout, then runs in real time until SIGTERM/SIGINT; --dump writes the whole
// flash there on exit so a test can compare what the bootloader programmed against the hex file.
//
// Why not simavr's uart_pty part: it owns the pty in a thread, symlinks /tmp/simavr-uart0 (parallel tests
// would fight over it), and cannot tell when a program opens the port. A real Uno resets when the port is
// opened (DTR pulls RESET through a capacitor); on a pty avrdude's DTR ioctl fails, so this harness detects
// the open itself (the master stops reporting POLLHUP) and resets into the bootloader, as the board would.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sim_avr.h"
#include "avr_uart.h"

// MCUSR (reset cause) lives at data address 0x54 on both the ATmega328P and the ATmega2560.
#define MCUSR_ADDR 0x54
#define EXTRF_BIT 0x02
// How much emulated time runs between two looks at the pty: 100 us is about one byte at 115200 baud.
#define SLICE_NS 100000ULL
// How far the emulation may lag the wall clock and still catch up (see the pacing in main()).
#define MAX_BEHIND_NS 5000000ULL

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
static uint64_t wall_start;
static int trace;  // --trace: every byte crossing the UART, on stderr
#define TRACE(...) do { if (trace) { fprintf(stderr, "[%8.3f ms, cycle %llu] ", (now_ns() - wall_start) / 1e6, (unsigned long long)avr->cycle); fprintf(stderr, __VA_ARGS__); } } while (0)

static avr_t *avr;
static uint32_t boot_pc;
static int master_fd = -1;
static int uart_xon = 1;

// Bytes from the host waiting for the UART's input fifo, and bytes from the UART waiting for the pty.
static uint8_t rx_buf[4096];
static size_t rx_head, rx_len;
static uint8_t tx_buf[4096];
static size_t tx_len;

static void uart_out_hook(struct avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq; (void)param;
  TRACE("mcu> %02x (pc 0x%x)\n", value & 0xff, avr->pc);
  if (tx_len < sizeof tx_buf) tx_buf[tx_len++] = (uint8_t)value;  // a full buffer drops bytes, as a UART with no reader would
}
static void uart_xon_hook(struct avr_irq_t *irq, uint32_t value, void *param) { (void)irq; (void)value; (void)param; uart_xon = 1; }
static void uart_xoff_hook(struct avr_irq_t *irq, uint32_t value, void *param) { (void)irq; (void)value; (void)param; uart_xon = 0; }


// Replaces simavr's sleep callback (see main()).
static void sleep_none(avr_t *a, avr_cycle_count_t how_long) { (void)a; (void)how_long; }

// simavr 1.6 (Debian's) decides how far a skip instruction (CPSE, SBRC, SBRS, SBIC, SBIS) jumps with
// _avr_is_instruction_32_bits(), which masks the next opcode with 0xfc0f. That mask also matches ADIW/SBIW with
// K & 0xc == 0xc (ADIW/SBIW 1001 011? KKdd 11KK then looks like JMP/CALL, 1001 010? ???? 11??), so a taken skip over such a
// one-word instruction skips one word too many and the program runs on from the middle of the code: e.g. gcc's
// signed `ptrdiff / 64` is `sbrc rH,7; adiw r28,0x3f; ldi r24,6; 1: asr; ror; dec r24; brne 1b`, and simavr also
// skips the `ldi`, so the shift count is whatever r24 held (the firmware's TX slot index came out wrong: frames were
// queued with length 0 and it sent RAM, or nothing the host could parse). A real AVR skips exactly the one word.
// Fixed upstream (buserror/simavr#361, mask 0xfe0e); until the packaged simavr has it, such a skip is done here.
static uint16_t flash_word(uint32_t byte_addr) {
  return (uint16_t)(avr->flash[byte_addr] | avr->flash[byte_addr + 1] << 8);
}
static int run_one(void) {
  uint32_t pc = avr->pc;
  if (avr->state == cpu_Running && pc + 3 <= avr->flashend) {
    uint16_t op = flash_word(pc), next = flash_word(pc + 2);
    // Only the skip-over-ADIW/SBIW case simavr gets wrong; everything else runs as simavr does it.
    if ((next & 0xfe00) == 0x9600 && (next & 0x000c) == 0x000c) {
      int skip = -1;
      uint8_t rd = (op >> 4) & 0x1f, rr = (uint8_t)(((op >> 5) & 0x10) | (op & 0x0f)), bit = op & 7;
      if ((op & 0xfc00) == 0x1000) skip = avr->data[rd] == avr->data[rr];                  // CPSE
      else if ((op & 0xfe08) == 0xfc00) skip = !(avr->data[rd] & (1 << bit));              // SBRC
      else if ((op & 0xfe08) == 0xfe00) skip = !!(avr->data[rd] & (1 << bit));             // SBRS
      else if ((op & 0xff00) == 0x9900) skip = !(avr->data[32 + ((op >> 3) & 0x1f)] & (1 << bit));  // SBIC
      else if ((op & 0xff00) == 0x9b00) skip = !!(avr->data[32 + ((op >> 3) & 0x1f)] & (1 << bit)); // SBIS
      if (skip == 1) {
        avr->pc = pc + 4;  // over the skip instruction and the one-word ADIW/SBIW
        avr->cycle += 2;   // a skip over a one-word instruction takes 2 cycles
        return avr->state;
      }
    }
  }
  return avr_run(avr);
}

static int hex_nibble(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Places an Intel hex file in flash; returns the lowest address written, or -1 on error. Our own reader because
// simavr 1.6's read_ihex_chunks rejects record type 03, which the Arduino Optiboot image ends with.
static long load_hex(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "optiboot_sim: cannot read hex file %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[600];
  uint32_t base = 0;
  long lowest = -1;
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t n = strcspn(line, "\r\n");
    if (n == 0) continue;
    uint8_t rec[256];
    size_t len = 0;
    int ok = line[0] == ':' && n % 2 == 1 && n >= 11;
    for (size_t i = 1; ok && i + 1 < n + 1 && len < sizeof rec; i += 2) {
      int hi = hex_nibble(line[i]), lo = hex_nibble(line[i + 1]);
      if (hi < 0 || lo < 0) ok = 0;
      else rec[len++] = (uint8_t)(hi << 4 | lo);
    }
    uint8_t sum = 0;
    for (size_t i = 0; ok && i < len; i++) sum += rec[i];
    if (!ok || sum != 0 || len != (size_t)rec[0] + 5) {
      fprintf(stderr, "optiboot_sim: %s line %d is not a valid Intel hex record\n", path, lineno);
      fclose(f);
      return -1;
    }
    uint32_t addr = base + ((uint32_t)rec[1] << 8 | rec[2]);
    switch (rec[3]) {
      case 0x00:
        if (addr + rec[0] > avr->flashend + 1) {
          fprintf(stderr, "optiboot_sim: %s writes past the end of flash at 0x%x\n", path, addr);
          fclose(f);
          return -1;
        }
        memcpy(avr->flash + addr, rec + 4, rec[0]);
        if (lowest < 0 || (long)addr < lowest) lowest = addr;
        break;
      case 0x02: base = ((uint32_t)rec[4] << 8 | rec[5]) << 4; break;
      case 0x04: base = ((uint32_t)rec[4] << 8 | rec[5]) << 16; break;
      default: break;  // 01 end, 03/05 start address: the AVR starts at its reset vector regardless
    }
  }
  fclose(f);
  return lowest;
}

// An external reset with BOOTRST programmed: execution starts at the bootloader and MCUSR says EXTRF,
// which is the only reset cause for which Optiboot waits for avrdude instead of starting the app.
static void external_reset(void) {
  avr_reset(avr);
  avr->pc = boot_pc;
  avr->data[MCUSR_ADDR] |= EXTRF_BIT;
  uart_xon = 1;
  rx_len = 0;
  tx_len = 0;
}

static void flush_tx(int slave_open) {
  if (!slave_open) { tx_len = 0; return; }
  size_t done = 0;
  while (done < tx_len) {
    ssize_t w = write(master_fd, tx_buf + done, tx_len - done);
    if (w <= 0) break;  // EAGAIN: the reader is slow; keep the rest for the next slice
    done += (size_t)w;
  }
  memmove(tx_buf, tx_buf + done, tx_len - done);
  tx_len -= done;
}

static void feed_uart(avr_irq_t *in_irq) {
  while (uart_xon && rx_len > 0) {
    uint8_t b = rx_buf[rx_head];
    rx_head = (rx_head + 1) % sizeof rx_buf;
    rx_len--;
    TRACE("host> %02x\n", b);
    avr_raise_irq(in_irq, b);
  }
}

static void read_pty(void) {
  uint8_t tmp[512];
  size_t room = sizeof rx_buf - rx_len;
  if (room == 0) return;
  ssize_t r = read(master_fd, tmp, room < sizeof tmp ? room : sizeof tmp);
  for (ssize_t i = 0; i < r; i++) {
    rx_buf[(rx_head + rx_len) % sizeof rx_buf] = tmp[i];
    rx_len++;
  }
}

static int dump_flash(const char *path) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(avr->flash, 1, avr->flashend + 1, f) != avr->flashend + 1 || fclose(f) != 0) {
    fprintf(stderr, "optiboot_sim: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *mcu = "atmega328p", *boot = NULL, *app = NULL, *dump = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--mcu") && i + 1 < argc) mcu = argv[++i];
    else if (!strcmp(argv[i], "--boot") && i + 1 < argc) boot = argv[++i];
    else if (!strcmp(argv[i], "--app") && i + 1 < argc) app = argv[++i];
    else if (!strcmp(argv[i], "--dump") && i + 1 < argc) dump = argv[++i];
    else if (!strcmp(argv[i], "--trace")) trace = 1;
    else {
      fprintf(stderr, "usage: optiboot_sim --boot optiboot.hex [--mcu atmega328p] [--app firmware.hex] [--dump flash.bin] [--trace]\n");
      return 2;
    }
  }
  if (!boot) { fprintf(stderr, "optiboot_sim: --boot <bootloader.hex> is required\n"); return 2; }

  avr = avr_make_mcu_by_name(mcu);
  if (!avr) { fprintf(stderr, "optiboot_sim: simavr does not know MCU %s\n", mcu); return 2; }
  avr_init(avr);
  avr->frequency = 16000000;
  avr->log = LOG_WARNING;
  memset(avr->flash, 0xff, avr->flashend + 1);  // erased flash, as on a new chip
  if (app && load_hex(app) < 0) return 1;
  long b = load_hex(boot);
  if (b < 0) return 1;
  boot_pc = (uint32_t)b;
  avr->reset_pc = boot_pc;
  avr->codeend = avr->flashend;  // the bootloader writes the application below itself: all of flash is code
  // simavr's default sleep callback usleep()s through every SLEEP of the emulated CPU (in >= 200 us pieces, each
  // overslept by the host's timer slack), so a firmware that sleeps in its idle loop, as ours does, falls behind
  // real time. Emulated time is paced in one place instead, the main loop below.
  avr->sleep = sleep_none;

  // Quiet the UART: no console echo, and no usleep when firmware polls an empty receiver (we pace time ourselves).
  uint32_t flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
  flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
  avr_irq_t *in_irq = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), uart_out_hook, NULL);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), uart_xon_hook, NULL);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), uart_xoff_hook, NULL);

  master_fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (master_fd < 0 || grantpt(master_fd) < 0 || unlockpt(master_fd) < 0) {
    fprintf(stderr, "optiboot_sim: cannot create a pty: %s\n", strerror(errno));
    return 1;
  }
  struct termios tio;
  tcgetattr(master_fd, &tio);
  cfmakeraw(&tio);  // binary protocol: no echo, no CR/LF translation before the first program opens the slave
  tcsetattr(master_fd, TCSANOW, &tio);
  fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_NONBLOCK);
  // A master whose slave was never opened does not report POLLHUP; after one open and close it does,
  // until the next program opens the port. That edge is how we see avrdude arrive.
  int probe_fd = open(ptsname(master_fd), O_RDWR | O_NOCTTY);
  if (probe_fd >= 0) close(probe_fd);

  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  printf("PTY %s\n", ptsname(master_fd));
  fflush(stdout);

  external_reset();  // power-on as if RESET was pressed: the bootloader waits for a programmer first
  int slave_open = 0;
  uint64_t sim_ns = 0;
  wall_start = now_ns();
  const uint64_t slice_cycles = avr->frequency / (1000000000ULL / SLICE_NS);
  while (!stop_requested) {
    uint64_t target = avr->cycle + slice_cycles;
    while (avr->cycle < target) {
      int state = run_one();
      if (state == cpu_Done || state == cpu_Crashed) {
        fprintf(stderr, "optiboot_sim: the emulated MCU stopped (%s) at pc 0x%x\n", state == cpu_Done ? "done" : "crashed", avr->pc);
        return 1;
      }
      if (avr->cycle < target - slice_cycles) target = avr->cycle + slice_cycles;  // a reset restarted the cycle counter
    }
    sim_ns += SLICE_NS;

    struct pollfd p = {.fd = master_fd, .events = POLLIN};
    poll(&p, 1, 0);
    int open_now = !(p.revents & POLLHUP);
    if (open_now && !slave_open) {
      tcflush(master_fd, TCIOFLUSH);
      external_reset();  // the port was opened: DTR would reset a real board into its bootloader
      TRACE("open\n");
      fprintf(stderr, "optiboot_sim: port opened, reset into the bootloader at 0x%x\n", boot_pc);
    }
    slave_open = open_now;
    if (slave_open && (p.revents & POLLIN)) read_pty();
    feed_uart(in_irq);
    flush_tx(slave_open);

    // Real time, not faster: the bootloader's 1 s watchdog window must be 1 s for avrdude too.
    uint64_t wall_ns = now_ns() - wall_start;
    // Nor faster to catch up: when the emulation falls behind the wall clock (a busy host, or a firmware that keeps
    // the CPU busy), that time is lost rather than made up later in a burst. Otherwise a deficit built up while the
    // application ran is spent right after the next reset into the bootloader, and Optiboot's 1 s window is over in
    // a fraction of a second, before avrdude has sent its first sync (it then talks to the application).
    if (wall_ns > sim_ns + MAX_BEHIND_NS) sim_ns = wall_ns - MAX_BEHIND_NS;
    if (sim_ns > wall_ns + 1000000ULL) {
      uint64_t ahead = sim_ns - wall_ns;
      struct timespec ts = {.tv_sec = (time_t)(ahead / 1000000000ULL), .tv_nsec = (long)(ahead % 1000000000ULL)};
      if (slave_open) {
        ppoll(&p, 1, &ts, NULL);  // wake early when the host sends something
      } else {
        nanosleep(&ts, NULL);  // a closed slave reports POLLHUP at once, so poll cannot wait here
      }
    }
  }
  return dump ? dump_flash(dump) : 0;
}
