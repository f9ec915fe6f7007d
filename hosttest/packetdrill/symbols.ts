// Names scripts use for numbers: socket-API constants, errno values, ICMP types and codes, and the
// TCP_INFO constants `%{ }%` assertions compare with. Values are FreeBSD's (the shared suite is
// FreeBSD's); where Linux scripts use the same names the numbers only need to agree with each
// other, since the socket layer speaks in these names, not in a kernel's ABI.

export const SYMBOLS: Readonly<Record<string, number>> = Object.freeze({
  AF_INET: 2, AF_INET6: 28, PF_INET: 2, PF_INET6: 28, AF_UNSPEC: 0,
  SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_RAW: 3,
  IPPROTO_IP: 0, IPPROTO_ICMP: 1, IPPROTO_TCP: 6, IPPROTO_UDP: 17,
  SOL_SOCKET: 0xffff, SOL_TCP: 6, SOL_IP: 0,
  SO_DEBUG: 0x1, SO_ACCEPTCONN: 0x2, SO_REUSEADDR: 0x4, SO_KEEPALIVE: 0x8, SO_DONTROUTE: 0x10,
  SO_BROADCAST: 0x20, SO_LINGER: 0x80, SO_OOBINLINE: 0x100, SO_REUSEPORT: 0x200,
  SO_SNDBUF: 0x1001, SO_RCVBUF: 0x1002, SO_SNDLOWAT: 0x1003, SO_RCVLOWAT: 0x1004,
  SO_SNDTIMEO: 0x1005, SO_RCVTIMEO: 0x1006, SO_ERROR: 0x1007, SO_TYPE: 0x1008,
  TCP_NODELAY: 1, TCP_MAXSEG: 2, TCP_NOPUSH: 4, TCP_NOOPT: 8, TCP_MD5SIG: 16, TCP_INFO: 32,
  TCP_KEEPINIT: 128, TCP_KEEPIDLE: 256, TCP_KEEPINTVL: 512, TCP_KEEPCNT: 1024,
  TCP_CONGESTION: 64, TCP_FASTOPEN: 1025,
  IP_TOS: 3, IP_TTL: 4,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_NONBLOCK: 4,
  F_GETFL: 3, F_SETFL: 4,
  SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2,
  MSG_OOB: 0x1, MSG_PEEK: 0x2, MSG_DONTWAIT: 0x80, MSG_WAITALL: 0x40, MSG_NOSIGNAL: 0x20000,
  // TCP_INFO (FreeBSD netinet/tcp.h, netinet/tcp_fsm.h).
  TCPI_OPT_TIMESTAMPS: 0x01, TCPI_OPT_SACK: 0x02, TCPI_OPT_WSCALE: 0x04, TCPI_OPT_ECN: 0x08, TCPI_OPT_TOE: 0x10,
  TCPI_CLOSED: 0, TCPI_LISTEN: 1, TCPI_SYN_SENT: 2, TCPI_SYN_RECEIVED: 3, TCPI_ESTABLISHED: 4,
  TCPI_CLOSE_WAIT: 5, TCPI_FIN_WAIT_1: 6, TCPI_CLOSING: 7, TCPI_LAST_ACK: 8, TCPI_FIN_WAIT_2: 9, TCPI_TIME_WAIT: 10,
  TCP_CLOSED: 0, TCP_LISTEN: 1, TCP_SYN_SENT: 2, TCP_SYN_RECV: 3, TCP_ESTABLISHED: 4,
  TCP_CLOSE_WAIT: 5, TCP_FIN_WAIT1: 6, TCP_CLOSING: 7, TCP_LAST_ACK: 8, TCP_FIN_WAIT2: 9, TCP_TIME_WAIT: 10,
});

/** errno names to numbers (FreeBSD). EAGAIN and EWOULDBLOCK are the same error. */
export const ERRNO: Readonly<Record<string, number>> = Object.freeze({
  EPERM: 1, ENOENT: 2, EINTR: 4, EIO: 5, EBADF: 9, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16,
  EEXIST: 17, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOSPC: 28, EPIPE: 32,
  EAGAIN: 35, EWOULDBLOCK: 35, EINPROGRESS: 36, EALREADY: 37, ENOTSOCK: 38, EDESTADDRREQ: 39,
  EMSGSIZE: 40, EPROTOTYPE: 41, ENOPROTOOPT: 42, EPROTONOSUPPORT: 43, ESOCKTNOSUPPORT: 44,
  EOPNOTSUPP: 45, ENOTSUP: 45, EPFNOSUPPORT: 46, EAFNOSUPPORT: 47, EADDRINUSE: 48, EADDRNOTAVAIL: 49,
  ENETDOWN: 50, ENETUNREACH: 51, ENETRESET: 52, ECONNABORTED: 53, ECONNRESET: 54, ENOBUFS: 55,
  EISCONN: 56, ENOTCONN: 57, ESHUTDOWN: 58, ETIMEDOUT: 60, ECONNREFUSED: 61, EHOSTDOWN: 64,
  EHOSTUNREACH: 65,
});

const ERRNO_NAME = new Map<number, string>();
for (const [name, value] of Object.entries(ERRNO)) if (!ERRNO_NAME.has(value)) ERRNO_NAME.set(value, name);

export function errnoName(value: number): string {
  return ERRNO_NAME.get(value) ?? `errno ${value}`;
}

/** ICMP types and codes by the names scripts use (RFC 792, RFC 1191). */
export const ICMP_TYPES: Readonly<Record<string, number>> = Object.freeze({
  echo_reply: 0, unreachable: 3, source_quench: 4, redirect: 5, echo_request: 8,
  time_exceeded: 11, parameter_problem: 12,
});

export const ICMP_CODES: Readonly<Record<string, number>> = Object.freeze({
  net_unreachable: 0, host_unreachable: 1, protocol_unreachable: 2, port_unreachable: 3,
  frag_needed: 4, source_route_failed: 5, net_unknown: 6, host_unknown: 7, source_host_isolated: 8,
  net_prohibited: 9, host_prohibited: 10, net_unreachable_for_tos: 11, host_unreachable_for_tos: 12,
  packet_filtered: 13, precedence_violation: 14, precedence_cutoff: 15,
  ttl_exceeded: 0, fragment_reassembly_time_exceeded: 1,
});
