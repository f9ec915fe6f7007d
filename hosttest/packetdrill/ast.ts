// The parsed form of a packetdrill script. Times are integer microseconds, as packetdrill keeps
// them; sequence numbers are the script's own (translation to live numbers is the runner's job).
// Every event records the line its time stamp is on, for error messages.

/** When an event happens. `relative` times count from the end of the previous event. */
export type EventTime =
  | { kind: 'absolute'; us: number }
  | { kind: 'relative'; us: number }
  /** `*`: any time (outbound packets only). */
  | { kind: 'any' }
  /** `a~b` or `+a~+b`: a window (outbound packets only). */
  | { kind: 'range'; relative: boolean; startUs: number; endUs: number };

/** An item of `(tos 0x20, ttl 4)` or `[ect0]`: a keyword and, for most, a value as written. */
export interface IpInfoItem {
  key: string;
  value: string | null;
}

export interface IpInfo {
  /** `(` ... `)` or `[` ... `]`. */
  bracket: '(' | '[';
  items: IpInfoItem[];
}

export type TcpOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: [number, number][] }
  /** `TS val N ecr M`; val null is `...` (any); ecrAbsolute is `ecr M!` (not mapped). */
  | { kind: 'ts'; val: number | null; ecr: number; ecrAbsolute: boolean }
  /** `md5 valid` or `md5 <hex>`. */
  | { kind: 'md5'; value: string }
  /** `FO` (RFC 7413) or `FOEXP` (the experimental option), with an optional cookie. */
  | { kind: 'fo'; cookie: string | null; experimental: boolean };

/** `start:end(len)`, `start:end(len)!` (absolute, not translated) or `...(len)` (any start). */
export type SeqSpec =
  | { kind: 'range'; start: number; end: number; len: number; absolute: boolean }
  | { kind: 'ignore'; len: number };

export interface TcpPacket {
  proto: 'tcp';
  direction: '<' | '>';
  ip: IpInfo | null;
  ports: { src: number; dst: number } | null;
  /** Flag letters as written, e.g. `S`, `S.`, `.`, `F.`, `SEW`, `-` for none. */
  flags: string;
  seq: SeqSpec;
  ack: number | null;
  win: number | null;
  urg: number | null;
  /** null: no option list written; 'any': `<...>`. */
  options: TcpOption[] | 'any' | null;
  /** `/udp(src > dst)` UDP encapsulation. */
  udpEncaps: { src: number; dst: number } | null;
}

export interface IcmpPacket {
  proto: 'icmp';
  direction: '<' | '>';
  ip: IpInfo | null;
  /** `unreachable`, `time_exceeded`, ... as written. */
  type: string;
  code: string | null;
  mtu: number | null;
  /** The TCP segment the ICMP message quotes: `[start:end(len)]`. */
  echoed: SeqSpec | null;
}

export interface UdpPacket {
  proto: 'udp';
  direction: '<' | '>';
  ip: IpInfo | null;
  ports: { src: number; dst: number } | null;
  length: number;
}

export type Packet = TcpPacket | IcmpPacket | UdpPacket;

/** A value in a system call: argument, array element, struct field or return value. */
export type Expr =
  | { kind: 'ellipsis' }
  /** `text` keeps the spelling (`0x02`, `-1`) for printing. */
  | { kind: 'int'; value: number; text: string }
  | { kind: 'word'; name: string }
  | { kind: 'string'; value: string; trailingEllipsis: boolean }
  | { kind: 'binary'; op: '|'; lhs: Expr; rhs: Expr }
  | { kind: 'array'; items: Expr[] }
  /** `{a=1, b=htons(2)}` or `{1, 2}`: fields in order, named or not. */
  | { kind: 'struct'; fields: { name: string | null; value: Expr }[] }
  /** `htons(8080)`, `inet_addr("192.0.2.1")`, `htonl(1)`. */
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'null' };

export interface Syscall {
  /** `...T` after the event time: a blocking call expected to return at T. */
  endUs: number | null;
  name: string;
  args: Expr[];
  result: Expr;
  /** `-1 EINPROGRESS (Operation now in progress)`: the errno name and its note. */
  errno: string | null;
  errnoNote: string | null;
  /** A note without an errno, e.g. `= 0x02 (flags O_RDWR)`. */
  note: string | null;
}

interface EventBase {
  line: number;
  time: EventTime;
}

export type ScriptEvent =
  | (EventBase & { type: 'packet'; packet: Packet })
  | (EventBase & { type: 'syscall'; call: Syscall })
  | (EventBase & { type: 'command'; command: string })
  | (EventBase & { type: 'code'; code: string });

export interface ScriptOption {
  line: number;
  name: string;
  /** The value after `=` as written (strings unquoted), or null for a bare `--flag`. */
  value: string | null;
}

export interface Script {
  path: string;
  options: ScriptOption[];
  /** A back-quoted command before the first event (no time): run before the script. */
  initCommand: { line: number; command: string } | null;
  events: ScriptEvent[];
  /** A back-quoted command after the last event (no time): run after the script. */
  cleanupCommand: { line: number; command: string } | null;
  /** `#ifdef NAME` blocks that were left out because NAME was not defined (their lines). */
  skippedBlocks: { line: number; name: string }[];
}
