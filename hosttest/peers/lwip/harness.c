/*
 * lwIP as a host of synstack's simulator.
 *
 * One process runs one lwIP instance with one Ethernet netif and one TCP server (raw API). It has
 * no clock and no thread of its own: the simulator drives it over stdin/stdout, one message at a
 * time, and every message carries the simulator's virtual time, which is what sys_now() returns.
 * Same messages, same argv, same output: the run is deterministic.
 *
 * Messages in (stdin), little-endian:  u8 type, u32 now_ms, u32 length, then `length` bytes.
 *   'F'  an Ethernet frame for the netif (lwIP's due timers fire first)
 *   'P'  poll: fire due timers, flush output, answer 'D'
 *   'S'  statistics: as 'P', with a 'J' record before the 'D'
 *   'Q'  quit
 * Records out (stdout):                u8 type, u32 length, then `length` bytes.
 *   'F'  an Ethernet frame lwIP sent
 *   'J'  statistics as one JSON object
 *   'D'  done: u32 ms until lwIP's next timer (0xffffffff: none); output is flushed after it
 * Frames in are answered in batches: output accumulates until the next 'P' or 'S', which the
 * simulator sends at the same virtual ms (hosttest/peers/lwip.ts).
 *
 * argv: mac ip prefix gateway port mode backlog seed request_bytes response_bytes
 *   mode: serve   read request_bytes, answer response_bytes derived from the first 4, close
 *         echo    send back what arrives; close after the peer's FIN
 *         discard read and count; close after the peer's FIN
 *   backlog: tcp_listen_with_backlog()'s argument (only enforced when TCP_LISTEN_BACKLOG is on)
 *
 * Built twice (hosttest/peers/lwip-build.ts): against Debian's liblwip (its lwipopts.h: NO_SYS 0,
 * which we drive from this one thread without tcpip_init) and from Debian's lwIP sources with
 * espidf/lwipopts.h (NO_SYS 1, static pools). The application code is the same in both.
 */
#include "lwip/opt.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/mem.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- clock and randomness -------------------------------------------------------------------- */

static u32_t virtual_now;

/* The simulator's clock. In the Debian build this definition in the executable takes precedence
 * over the library's own sys_now (ELF symbol interposition; the library calls it through its PLT). */
u32_t sys_now(void) { return virtual_now; }

#if NO_SYS
/* espidf/arch/cc.h maps LWIP_RAND to this: xorshift32 seeded from argv (Debian's uses rand()). */
static u32_t rand_state = 1;
u32_t synstack_lwip_rand(void) {
  u32_t x = rand_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rand_state = x;
  return x;
}
#endif

/* ---- output ---------------------------------------------------------------------------------- */

#define OUT_CAPACITY (1u << 20)
static unsigned char out_buf[OUT_CAPACITY];
static size_t out_len;

static void die(const char *what) {
  fprintf(stderr, "lwip-harness: %s (errno %d)\n", what, errno);
  exit(2);
}

static void flush_out(void) {
  size_t at = 0;
  while (at < out_len) {
    ssize_t n = write(1, out_buf + at, out_len - at);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write to stdout failed");
    }
    at += (size_t)n;
  }
  out_len = 0;
}

static void put_u32(unsigned char *p, u32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

/* Reserve room for one record of `length` bytes and return where its payload goes. */
static unsigned char *record(char type, u32_t length) {
  if (length + 5 > OUT_CAPACITY) die("record too large");
  if (out_len + 5 + length > OUT_CAPACITY) flush_out();
  unsigned char *p = out_buf + out_len;
  p[0] = (unsigned char)type;
  put_u32(p + 1, length);
  out_len += 5 + length;
  return p + 5;
}

/* ---- the netif ------------------------------------------------------------------------------- */

static struct netif sim_netif;
static u8_t sim_mac[6];
static unsigned long frames_in, frames_out;

static err_t sim_linkoutput(struct netif *netif, struct pbuf *p) {
  LWIP_UNUSED_ARG(netif);
  unsigned char *dst = record('F', p->tot_len);
  pbuf_copy_partial(p, dst, p->tot_len, 0);
  frames_out++;
  return ERR_OK;
}

static err_t sim_netif_init(struct netif *netif) {
  netif->name[0] = 's';
  netif->name[1] = 'm';
  netif->output = etharp_output;
  netif->linkoutput = sim_linkoutput;
  netif->mtu = 1500;
  netif->hwaddr_len = 6;
  memcpy(netif->hwaddr, sim_mac, 6);
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  return ERR_OK;
}

static void input_frame(const unsigned char *frame, u32_t length) {
  frames_in++;
  struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)length, PBUF_RAM);
  if (p == NULL) return; /* out of memory: dropped, as a driver would */
  pbuf_take(p, frame, (u16_t)length);
  if (sim_netif.input(p, &sim_netif) != ERR_OK) pbuf_free(p);
}

/* ---- the application ------------------------------------------------------------------------- */

enum mode { MODE_SERVE, MODE_ECHO, MODE_DISCARD };
static enum mode app_mode;
static u32_t request_bytes, response_bytes;

/* Connection state lives in a fixed table (not the heap) so the heap figures are lwIP's alone. */
#define MAX_CONNS 256
#define MAX_REQUEST 64
struct conn {
  struct tcp_pcb *pcb;
  u32_t key;
  u32_t have;    /* request bytes received */
  u32_t written; /* response bytes handed to tcp_write */
  int responding;
  int closing;   /* tcp_close failed for lack of memory: retried from the poll callback */
  unsigned char request[MAX_REQUEST];
};
static struct conn conns[MAX_CONNS];

static unsigned long accepted, refused_no_slot, closed_by_app, conn_errors, bytes_received, bytes_sent;
static u32_t last_receive_ms;

/* Byte k of the answer to a request whose first four bytes (big-endian) are `key`. */
static unsigned char response_byte(u32_t key, u32_t k) {
  uint64_t v = (uint64_t)key * 151u + (uint64_t)k * 7u + (uint64_t)(k >> 8) * 13u + 1u;
  return (unsigned char)(v & 0xff);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len);
static void on_error(void *arg, err_t err);
static err_t on_poll(void *arg, struct tcp_pcb *pcb);

static void conn_callbacks(struct tcp_pcb *pcb, struct conn *c) {
  tcp_arg(pcb, c);
  tcp_recv(pcb, c != NULL ? on_recv : NULL);
  tcp_sent(pcb, c != NULL ? on_sent : NULL);
  tcp_err(pcb, c != NULL ? on_error : NULL);
  tcp_poll(pcb, c != NULL ? on_poll : NULL, c != NULL ? 2 : 0);
}

static void conn_close(struct conn *c) {
  struct tcp_pcb *pcb = c->pcb;
  /* Detach first: tcp_close may free the pcb. Afterwards lwIP owns it; tcp_recv_null takes
   * whatever still arrives. */
  conn_callbacks(pcb, NULL);
  if (tcp_close(pcb) == ERR_OK) {
    closed_by_app++;
    memset(c, 0, sizeof *c);
  } else {
    conn_callbacks(pcb, c);
    c->closing = 1;
  }
}

static void serve_pump(struct conn *c) {
  static unsigned char chunk[4096];
  while (c->written < response_bytes) {
    u32_t room = tcp_sndbuf(c->pcb);
    u32_t n = response_bytes - c->written;
    if (n > room) n = room;
    if (n > sizeof chunk) n = sizeof chunk;
    if (n == 0) break;
    for (u32_t i = 0; i < n; i++) chunk[i] = response_byte(c->key, c->written + i);
    if (tcp_write(c->pcb, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
    c->written += n;
    bytes_sent += n;
  }
  tcp_output(c->pcb);
  if (c->written == response_bytes) conn_close(c);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  LWIP_UNUSED_ARG(pcb);
  LWIP_UNUSED_ARG(len);
  struct conn *c = (struct conn *)arg;
  if (c != NULL && c->responding && !c->closing) serve_pump(c);
  return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  struct conn *c = (struct conn *)arg;
  LWIP_UNUSED_ARG(err);
  if (p == NULL) { /* the peer's FIN */
    if (c != NULL && !c->closing && !(app_mode == MODE_SERVE && c->responding)) conn_close(c);
    return ERR_OK;
  }
  if (c == NULL || c->closing) {
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
  }
  if (app_mode == MODE_ECHO) {
    /* Refuse what does not fit the send buffer; lwIP holds it and offers it again later. */
    if (tcp_sndbuf(pcb) < p->tot_len) return ERR_MEM;
    for (struct pbuf *q = p; q != NULL; q = q->next) {
      if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
    }
    bytes_received += p->tot_len;
    bytes_sent += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    tcp_output(pcb);
    return ERR_OK;
  }
  bytes_received += p->tot_len;
  last_receive_ms = virtual_now;
  if (app_mode == MODE_SERVE && c->have < request_bytes) {
    u32_t want = request_bytes - c->have;
    u32_t n = p->tot_len < want ? p->tot_len : want;
    pbuf_copy_partial(p, c->request + c->have, (u16_t)n, 0);
    c->have += n;
  }
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  if (app_mode == MODE_SERVE && c->have == request_bytes && !c->responding) {
    c->responding = 1;
    c->key = ((u32_t)c->request[0] << 24) | ((u32_t)c->request[1] << 16) | ((u32_t)c->request[2] << 8) | c->request[3];
    serve_pump(c);
  }
  return ERR_OK;
}

static void on_error(void *arg, err_t err) {
  LWIP_UNUSED_ARG(err);
  struct conn *c = (struct conn *)arg;
  conn_errors++;
  if (c != NULL) memset(c, 0, sizeof *c); /* lwIP has freed the pcb */
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb) {
  LWIP_UNUSED_ARG(pcb);
  struct conn *c = (struct conn *)arg;
  if (c != NULL && c->closing) {
    c->closing = 0;
    conn_close(c);
  }
  return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  LWIP_UNUSED_ARG(arg);
  if (err != ERR_OK || pcb == NULL) return ERR_VAL;
  struct conn *c = NULL;
  for (int i = 0; i < MAX_CONNS; i++) {
    if (conns[i].pcb == NULL) {
      c = &conns[i];
      break;
    }
  }
  if (c == NULL) {
    refused_no_slot++;
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  accepted++;
  memset(c, 0, sizeof *c);
  c->pcb = pcb;
  conn_callbacks(pcb, c);
  return ERR_OK;
}

/* ---- statistics ------------------------------------------------------------------------------ */

static struct tcp_pcb_listen *listener;

#if MEMP_STATS
#define LWIP_MEMPOOL(name, num, size, desc) #name,
static const char *const pool_names[] = {
#include "lwip/priv/memp_std.h"
};
#endif

static void emit_stats(void) {
  static char json[16384];
  size_t n = 0;
#define APPEND(...) do { int w = snprintf(json + n, sizeof json - n, __VA_ARGS__); if (w > 0) n += (size_t)w; if (n >= sizeof json) n = sizeof json - 1; } while (0)
  struct mallinfo2 mi = mallinfo2();
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  unsigned long states[11] = {0};
  unsigned long active = 0, time_wait = 0, listening = 0;
  for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next) {
    active++;
    if ((unsigned)p->state < 11) states[p->state]++;
  }
  for (struct tcp_pcb *p = tcp_tw_pcbs; p != NULL; p = p->next) time_wait++;
  for (struct tcp_pcb_listen *p = tcp_listen_pcbs.listen_pcbs; p != NULL; p = p->next) listening++;
  APPEND("{\"now\":%u,\"heapInUse\":%zu,\"heapArena\":%zu,\"heapMmap\":%zu,", (unsigned)virtual_now, mi.uordblks, mi.arena, mi.hblkhd);
  APPEND("\"cpuUs\":%ld,", (long)(ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec));
  APPEND("\"maxRssKiB\":%ld,", ru.ru_maxrss);
  APPEND("\"pcbs\":{\"active\":%lu,\"synRcvd\":%lu,\"established\":%lu,\"finWait1\":%lu,\"finWait2\":%lu,\"closeWait\":%lu,\"closing\":%lu,\"lastAck\":%lu,\"timeWait\":%lu,\"listen\":%lu},",
         active, states[SYN_RCVD], states[ESTABLISHED], states[FIN_WAIT_1], states[FIN_WAIT_2], states[CLOSE_WAIT], states[CLOSING], states[LAST_ACK], time_wait, listening);
#if TCP_LISTEN_BACKLOG
  APPEND("\"listenBacklog\":%u,\"acceptsPending\":%u,", listener != NULL ? (unsigned)listener->backlog : 0u, listener != NULL ? (unsigned)listener->accepts_pending : 0u);
#else
  APPEND("\"listenBacklog\":null,\"acceptsPending\":null,");
#endif
  APPEND("\"app\":{\"accepted\":%lu,\"refusedNoSlot\":%lu,\"closed\":%lu,\"errors\":%lu,\"bytesReceived\":%lu,\"bytesSent\":%lu,\"lastReceiveMs\":%u},",
         accepted, refused_no_slot, closed_by_app, conn_errors, bytes_received, bytes_sent, (unsigned)last_receive_ms);
  APPEND("\"framesIn\":%lu,\"framesOut\":%lu,", frames_in, frames_out);
  APPEND("\"options\":{\"NO_SYS\":%d,\"MEMP_MEM_MALLOC\":%d,\"MEM_LIBC_MALLOC\":%d,\"TCP_LISTEN_BACKLOG\":%d,\"MEMP_NUM_TCP_PCB\":%d,\"MEMP_NUM_TCP_PCB_LISTEN\":%d,\"MEMP_NUM_TCP_SEG\":%d,\"TCP_MSS\":%d,\"TCP_WND\":%d,\"TCP_SND_BUF\":%d,\"TCP_MAXRTX\":%d,\"TCP_SYNMAXRTX\":%d,\"LWIP_STATS\":%d,\"tcpPcbBytes\":%zu},",
         NO_SYS, MEMP_MEM_MALLOC, MEM_LIBC_MALLOC, TCP_LISTEN_BACKLOG, MEMP_NUM_TCP_PCB, MEMP_NUM_TCP_PCB_LISTEN, MEMP_NUM_TCP_SEG, TCP_MSS, (int)TCP_WND, (int)TCP_SND_BUF, TCP_MAXRTX, TCP_SYNMAXRTX, LWIP_STATS, sizeof(struct tcp_pcb));
#if !MEMP_MEM_MALLOC
  size_t pool_bytes = 0;
  for (int i = 0; i < MEMP_MAX; i++) pool_bytes += (size_t)memp_pools[i]->num * memp_pools[i]->size;
  APPEND("\"staticPoolBytes\":%zu,", pool_bytes);
#else
  APPEND("\"staticPoolBytes\":null,");
#endif
#if MEMP_STATS
  APPEND("\"memp\":{");
  for (int i = 0; i < MEMP_MAX; i++) {
    const struct stats_mem *s = memp_pools[i]->stats;
    APPEND("%s\"%s\":{\"used\":%u,\"max\":%u,\"err\":%u,\"avail\":%u}", i ? "," : "", pool_names[i], (unsigned)s->used, (unsigned)s->max, (unsigned)s->err, (unsigned)s->avail);
  }
  APPEND("},");
#else
  APPEND("\"memp\":null,");
#endif
#if TCP_STATS
  APPEND("\"tcpStats\":{\"recv\":%u,\"xmit\":%u,\"drop\":%u,\"memerr\":%u,\"proterr\":%u},",
         (unsigned)lwip_stats.tcp.recv, (unsigned)lwip_stats.tcp.xmit, (unsigned)lwip_stats.tcp.drop, (unsigned)lwip_stats.tcp.memerr, (unsigned)lwip_stats.tcp.proterr);
#else
  APPEND("\"tcpStats\":null,");
#endif
  APPEND("\"version\":\"%s\"}", LWIP_VERSION_STRING);
#undef APPEND
  memcpy(record('J', (u32_t)n), json, n);
}

/* ---- main loop ------------------------------------------------------------------------------- */

static int read_exactly(unsigned char *dst, size_t length) {
  size_t at = 0;
  while (at < length) {
    ssize_t n = read(0, dst + at, length - at);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read from stdin failed");
    }
    at += (size_t)n;
  }
  return 1;
}

static int parse_mac(const char *s, u8_t *mac) {
  unsigned v[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return 0;
  for (int i = 0; i < 6; i++) mac[i] = (u8_t)v[i];
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 11) {
    fprintf(stderr, "usage: %s mac ip prefix gateway port serve|echo|discard backlog seed request_bytes response_bytes\n", argv[0]);
    return 2;
  }
  ip4_addr_t ip, mask, gw;
  if (!parse_mac(argv[1], sim_mac) || !ip4addr_aton(argv[2], &ip) || !ip4addr_aton(argv[4], &gw)) die("bad address argument");
  int prefix = atoi(argv[3]);
  if (prefix < 0 || prefix > 32) die("bad prefix");
  ip4_addr_set_u32(&mask, prefix == 0 ? 0 : lwip_htonl(0xffffffffu << (32 - prefix)));
  u16_t port = (u16_t)atoi(argv[5]);
  if (strcmp(argv[6], "serve") == 0) app_mode = MODE_SERVE;
  else if (strcmp(argv[6], "echo") == 0) app_mode = MODE_ECHO;
  else if (strcmp(argv[6], "discard") == 0) app_mode = MODE_DISCARD;
  else die("bad mode");
  int backlog = atoi(argv[7]);
  unsigned long seed = strtoul(argv[8], NULL, 10);
  request_bytes = (u32_t)strtoul(argv[9], NULL, 10);
  response_bytes = (u32_t)strtoul(argv[10], NULL, 10);
  if (request_bytes < 4 || request_bytes > MAX_REQUEST) die("request_bytes must be 4..64");
  if (backlog < 1 || backlog > 255) die("backlog must be 1..255");
#if NO_SYS
  rand_state = (u32_t)(seed * 2654435761u) | 1u;
#else
  srand((unsigned)seed); /* Debian's LWIP_RAND() is rand() */
#endif

  lwip_init();
  if (netif_add(&sim_netif, &ip, &mask, &gw, NULL, sim_netif_init, ethernet_input) == NULL) die("netif_add failed");
  netif_set_default(&sim_netif);
  netif_set_up(&sim_netif);
  netif_set_link_up(&sim_netif);

  struct tcp_pcb *pcb = tcp_new();
  if (pcb == NULL || tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) die("tcp_bind failed");
  struct tcp_pcb *lpcb = tcp_listen_with_backlog(pcb, (u8_t)backlog);
  if (lpcb == NULL) die("tcp_listen failed");
  listener = (struct tcp_pcb_listen *)lpcb;
  tcp_accept(lpcb, on_accept);

  static unsigned char payload[65536];
  unsigned char header[9];
  for (;;) {
    if (!read_exactly(header, sizeof header)) break; /* the simulator went away */
    char type = (char)header[0];
    virtual_now = (u32_t)header[1] | ((u32_t)header[2] << 8) | ((u32_t)header[3] << 16) | ((u32_t)header[4] << 24);
    u32_t length = (u32_t)header[5] | ((u32_t)header[6] << 8) | ((u32_t)header[7] << 16) | ((u32_t)header[8] << 24);
    if (length > sizeof payload) die("message too long");
    if (length > 0 && !read_exactly(payload, length)) break;
    sys_check_timeouts();
    switch (type) {
      case 'F':
        input_frame(payload, length);
        break;
      case 'S':
        emit_stats();
        /* fall through */
      case 'P': {
        put_u32(record('D', 4), sys_timeouts_sleeptime());
        flush_out();
        break;
      }
      case 'Q':
        flush_out();
        return 0;
      default:
        die("unknown message type");
    }
  }
  flush_out();
  return 0;
}
