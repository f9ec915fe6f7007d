// The packetdrill script language, as the FreeBSD TCP test suite and google/packetdrill's TCP
// tests use it (written from its documentation and grammar; no code of packetdrill is used):
//
//   --tolerance_usecs=50000                        options, before the events
//   `init command`                                 optional, before the first event
//   0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
//   +0.1  < S 0:0(0) win 32767 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//   +0    > S. 0:0(0) ack 1 <...>
//   *     > . 1:1(0) ack 1                         any time (outbound only)
//   0.1~0.3 > F. 1:1(0) ack 1                      a window (outbound only)
//   +0.1...0.3 accept(3, ..., ...) = 4             blocking call returning at 0.3
//   +0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
//   +0    `sysctl -w net.inet.tcp.insecure_rst=1`
//   +0    %{ assert tcpi_state == TCPI_ESTABLISHED }%
//   +0    < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]
//   `cleanup command`                              optional, after the last event
//
// Errors are ScriptErrors naming the file and the line.

import type {
  EventTime, Expr, IcmpPacket, IpInfo, IpInfoItem, Packet, Script, ScriptEvent, ScriptOption, SeqSpec, Syscall,
  TcpOption, TcpPacket, UdpPacket,
} from './ast';
import { ScriptError, type Token, secondsToUs, tokenize } from './lexer';

export { ScriptError, secondsToUs };

export interface ParseOptions {
  /**
   * Symbols, as packetdrill's `-D`: `NAME` (for `#ifdef`) or `NAME=value` (also replaces the word
   * NAME wherever it appears). `--define=NAME=value` lines in the script add to them.
   */
  defines?: Iterable<string>;
}

function defineMap(list: Iterable<string>): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const d of list) {
    const eq = d.indexOf('=');
    if (eq < 0) m.set(d, null);
    else m.set(d.slice(0, eq), d.slice(eq + 1));
  }
  return m;
}

/** Parse a script's text; `path` is used in error messages. */
export function parseScript(text: string, path: string, options: ParseOptions = {}): Script {
  const defines = defineMap(options.defines ?? []);
  // The script's own --define options (read before the lexer runs, as packetdrill applies them first).
  for (const m of text.matchAll(/^[ \t]*--define=([A-Za-z_][A-Za-z0-9_]*)(?:=(\S+))?/gm)) defines.set(m[1]!, m[2] ?? null);
  const { tokens, skippedBlocks } = tokenize(text, path, defines);
  const p = new Parser(tokens, path);
  const script = p.script();
  script.skippedBlocks = skippedBlocks;
  return script;
}

const TCP_FLAG_LETTERS = new Set(['F', 'S', 'R', 'P', '.', 'U', 'E', 'W', 'A']);

class Parser {
  private pos = 0;

  constructor(private readonly toks: Token[], private readonly file: string) {}

  // ---- token helpers ----------------------------------------------------------------------------

  private get tok(): Token {
    return this.toks[this.pos]!;
  }

  private peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }

  private next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private error(msg: string, t: Token = this.tok): never {
    throw new ScriptError(this.file, t.line, msg);
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of file';
    if (t.kind === 'string') return `"${t.text}"`;
    if (t.kind === 'backquote') return 'a back-quoted command';
    if (t.kind === 'code') return 'a %{ }% code block';
    return `'${t.text}'`;
  }

  private kindIs(k: Token['kind']): boolean {
    return this.tok.kind === k;
  }

  private isPunct(ch: string, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.text === ch;
  }

  private isWord(w: string, t: Token = this.tok): boolean {
    return t.kind === 'word' && t.text === w;
  }

  private expectPunct(ch: string, what: string): Token {
    if (!this.isPunct(ch)) this.error(`expected '${ch}' ${what}, found ${this.describe(this.tok)}`);
    return this.next();
  }

  private expectWord(w: string, what: string): Token {
    if (!this.isWord(w)) this.error(`expected '${w}' ${what}, found ${this.describe(this.tok)}`);
    return this.next();
  }

  /** An unsigned decimal integer within [0, max]. */
  private uint(what: string, max: number): number {
    const t = this.tok;
    if (t.kind !== 'int' || t.text.startsWith('-')) this.error(`expected ${what}, found ${this.describe(t)}`);
    this.next();
    const v = Number(t.text);
    if (!Number.isSafeInteger(v) || v > max) this.error(`${what} out of range: ${t.text}`, t);
    return v;
  }

  // ---- script -----------------------------------------------------------------------------------

  script(): Script {
    const options: ScriptOption[] = [];
    while (this.tok.kind === 'option') options.push(this.option());
    let initCommand: Script['initCommand'] = null;
    if (this.tok.kind === 'backquote') {
      const t = this.next();
      initCommand = { line: t.line, command: t.text };
    }
    const events: ScriptEvent[] = [];
    let cleanupCommand: Script['cleanupCommand'] = null;
    while (this.tok.kind !== 'eof') {
      if (this.tok.kind === 'backquote' && this.peek().kind === 'eof') {
        const t = this.next();
        cleanupCommand = { line: t.line, command: t.text };
        break;
      }
      if (this.kindIs('option')) this.error(`option --${this.tok.text} after the first event`);
      events.push(this.event());
    }
    if (events.length === 0) this.error('script has no events');
    return { path: this.file, options, initCommand, events, cleanupCommand, skippedBlocks: [] };
  }

  private option(): ScriptOption {
    const t = this.next();
    if (!this.isPunct('=')) return { line: t.line, name: t.text, value: null };
    this.next();
    const v = this.next();
    if (v.kind !== 'optvalue' || v.text === '') this.error(`missing value for option --${t.text}`, t);
    return { line: t.line, name: t.text, value: v.text };
  }

  // ---- events -----------------------------------------------------------------------------------

  private event(): ScriptEvent {
    const timeTok = this.tok;
    const time = this.eventTime();
    const line = timeTok.line;
    const t = this.tok;
    let ev: ScriptEvent;
    if (this.isPunct('<') || this.isPunct('>')) ev = { line, time, type: 'packet', packet: this.packet() };
    else if (t.kind === 'backquote') {
      this.next();
      ev = { line, time, type: 'command', command: t.text };
    } else if (t.kind === 'code') {
      this.next();
      ev = { line, time, type: 'code', code: t.text };
    } else if (t.kind === 'ellipsis' || (t.kind === 'word' && this.isPunct('(', this.peek()))) {
      ev = { line, time, type: 'syscall', call: this.syscall() };
    } else {
      this.error(`expected a packet, system call, command or code after the time, found ${this.describe(t)}`);
    }
    const outbound = ev.type === 'packet' && ev.packet.direction === '>';
    if (time.kind === 'any' && !outbound) this.error('event time * can only be used with outbound packets', timeTok);
    if (time.kind === 'range' && !outbound) this.error('event time range can only be used with outbound packets', timeTok);
    if (time.kind === 'range' && time.endUs < time.startUs) this.error('time range is backwards', timeTok);
    return ev;
  }

  private time(): number {
    const t = this.tok;
    if (t.kind !== 'int' && t.kind !== 'float') this.error(`expected a time, found ${this.describe(t)}`);
    if (t.text.startsWith('-')) this.error('negative time');
    this.next();
    return secondsToUs(t.text);
  }

  private eventTime(): EventTime {
    if (this.isPunct('*')) {
      this.next();
      return { kind: 'any' };
    }
    if (this.isPunct('+')) {
      this.next();
      const us = this.time();
      if (this.isPunct('~')) {
        this.next();
        this.expectPunct('+', 'in a relative time range');
        return { kind: 'range', relative: true, startUs: us, endUs: this.time() };
      }
      return { kind: 'relative', us };
    }
    const us = this.time();
    if (this.isPunct('~')) {
      this.next();
      return { kind: 'range', relative: false, startUs: us, endUs: this.time() };
    }
    return { kind: 'absolute', us };
  }

  // ---- packets ----------------------------------------------------------------------------------

  private packet(): Packet {
    const dirTok = this.next();
    const direction = dirTok.text as '<' | '>';
    if (this.isWord('ipv4') || this.isWord('ipv6') || this.isWord('gre') || this.isWord('mpls')) {
      this.error(`encapsulated packets (${this.tok.text} ...) are not supported`);
    }
    const ip = this.optIpInfo();
    if (this.isWord('icmp')) return this.icmp(direction, ip);
    const ports = this.optPorts();
    if (this.isWord('udp')) return this.udp(direction, ip, ports);
    if (this.isWord('sctp') || this.isWord('udplite')) this.error(`${this.tok.text} packets are not supported`);
    return this.tcp(direction, ip, ports);
  }

  private optIpInfo(): IpInfo | null {
    if (!this.isPunct('(') && !this.isPunct('[')) return null;
    const open = this.next().text as '(' | '[';
    const close = open === '(' ? ')' : ']';
    const items: IpInfoItem[] = [];
    for (;;) {
      const k = this.tok;
      if (k.kind !== 'word') this.error(`expected an IP field (tos, ttl, ecn, ...), found ${this.describe(k)}`);
      this.next();
      let value: string | null = null;
      if (!this.isPunct(',') && !this.isPunct(close)) {
        const v = this.next();
        if (v.kind !== 'int' && v.kind !== 'hex' && v.kind !== 'word') this.error(`bad value for ${k.text}: ${this.describe(v)}`, v);
        value = v.text;
      }
      items.push({ key: k.text, value });
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct(close, 'to end the IP fields');
      return { bracket: open, items };
    }
  }

  private optPorts(): { src: number; dst: number } | null {
    if (this.tok.kind === 'int' && this.isPunct('>', this.peek())) {
      const src = this.uint('source port', 0xffff);
      this.next();
      return { src, dst: this.uint('destination port', 0xffff) };
    }
    return null;
  }

  private flags(): string {
    const t = this.tok;
    let text = '';
    if (this.isPunct('-')) {
      this.next();
      return '-';
    }
    if (t.kind === 'word') {
      text = this.next().text;
      if (this.isPunct('.')) text += this.next().text;
      if (text.endsWith('.') && this.tok.kind === 'word' && /^[A-Z]+$/.test(this.tok.text)) text += this.next().text;
    } else if (this.isPunct('.')) {
      text = this.next().text;
      if (this.tok.kind === 'word' && /^[A-Z]+$/.test(this.tok.text)) text += this.next().text;
    } else {
      this.error(`expected TCP flags, found ${this.describe(t)}`);
    }
    for (const ch of text) if (!TCP_FLAG_LETTERS.has(ch)) this.error(`unknown TCP flag '${ch}' in '${text}'`, t);
    if (new Set(text).size !== text.length) this.error(`repeated TCP flag in '${text}'`, t);
    return text;
  }

  private seq(): SeqSpec {
    if (this.tok.kind === 'ellipsis') {
      this.next();
      this.expectPunct('(', 'after ... in the sequence range');
      const len = this.uint('payload length', 0xffff);
      this.expectPunct(')', 'after the payload length');
      return { kind: 'ignore', len };
    }
    const startTok = this.tok;
    const start = this.uint('start sequence number', 0xffffffff);
    this.expectPunct(':', 'between the sequence numbers');
    const end = this.uint('end sequence number', 0xffffffff);
    this.expectPunct('(', 'before the payload length');
    const len = this.uint('payload length', 0xffff);
    this.expectPunct(')', 'after the payload length');
    if (end !== ((start + len) >>> 0)) this.error('inconsistent TCP sequence numbers and payload size', startTok);
    let absolute = false;
    if (this.isPunct('!')) {
      this.next();
      absolute = true;
    }
    return { kind: 'range', start, end, len, absolute };
  }

  private tcp(direction: '<' | '>', ip: IpInfo | null, ports: { src: number; dst: number } | null): TcpPacket {
    const flagTok = this.tok;
    const flags = this.flags();
    const seq = this.seq();
    let ack: number | null = null, win: number | null = null, urg: number | null = null;
    if (this.isWord('ack')) {
      this.next();
      ack = this.uint('ack number', 0xffffffff);
    }
    if (this.isWord('win')) {
      this.next();
      win = this.uint('window', 0xffff);
    }
    if (this.isWord('urg')) {
      this.next();
      urg = this.uint('urgent pointer', 0xffff);
    }
    let options: TcpPacket['options'] = null;
    if (this.isPunct('<')) {
      const lt = this.next();
      if (this.tok.kind === 'ellipsis') {
        this.next();
        this.expectPunct('>', 'after <...');
        if (direction === '<') this.error('<...> for TCP options can only be used with outbound packets', lt);
        options = 'any';
      } else options = this.tcpOptions();
    }
    let udpEncaps: TcpPacket['udpEncaps'] = null;
    if (this.isPunct('/')) {
      this.next();
      this.expectWord('udp', "after '/'");
      this.expectPunct('(', 'after udp');
      const src = this.uint('UDP source port', 0xffff);
      this.expectPunct('>', 'between the UDP ports');
      const dst = this.uint('UDP destination port', 0xffff);
      this.expectPunct(')', 'after the UDP ports');
      udpEncaps = { src, dst };
    }
    if (direction === '<' && win === null) this.error('window must be specified for inbound packets', flagTok);
    if (direction === '<' && seq.kind === 'ignore') this.error('... for the sequence number can only be used with outbound packets', flagTok);
    return { proto: 'tcp', direction, ip, ports, flags, seq, ack, win, urg, options, udpEncaps };
  }

  private tcpOptions(): TcpOption[] {
    const list: TcpOption[] = [];
    for (;;) {
      list.push(this.tcpOption());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct('>', 'to end the TCP options');
      return list;
    }
  }

  private tcpOption(): TcpOption {
    const t = this.tok;
    if (t.kind !== 'word') this.error(`expected a TCP option, found ${this.describe(t)}`);
    this.next();
    switch (t.text) {
      case 'nop': return { kind: 'nop' };
      case 'eol': return { kind: 'eol' };
      case 'sackOK': return { kind: 'sackOK' };
      case 'mss': return { kind: 'mss', value: this.uint('mss value', 0xffff) };
      case 'wscale': return { kind: 'wscale', value: this.uint('window scale shift count', 0xff) };
      case 'sack': {
        const blocks: [number, number][] = [];
        while (this.tok.kind === 'int' && this.isPunct(':', this.peek())) {
          const l = this.uint('SACK left edge', 0xffffffff);
          this.next();
          blocks.push([l, this.uint('SACK right edge', 0xffffffff)]);
        }
        if (blocks.length === 0) this.error('sack needs at least one block a:b', t);
        return { kind: 'sack', blocks };
      }
      case 'TS': {
        this.expectWord('val', 'after TS');
        let val: number | null;
        if (this.tok.kind === 'ellipsis') {
          this.next();
          val = null;
        } else val = this.uint('ts val', 0xffffffff);
        this.expectWord('ecr', 'after the TS value');
        const ecr = this.uint('ts ecr', 0xffffffff);
        let ecrAbsolute = false;
        if (this.isPunct('!')) {
          this.next();
          ecrAbsolute = true;
        }
        return { kind: 'ts', val, ecr, ecrAbsolute };
      }
      case 'md5': {
        const v = this.next();
        if (v.kind !== 'word' && v.kind !== 'int' && v.kind !== 'hex') this.error('expected md5 valid or a hex digest', v);
        return { kind: 'md5', value: v.text };
      }
      case 'FO': case 'FOEXP': {
        let cookie: string | null = null;
        if (this.tok.kind === 'word' || this.tok.kind === 'int' || this.tok.kind === 'hex') cookie = this.next().text;
        return { kind: 'fo', cookie, experimental: t.text === 'FOEXP' };
      }
      default:
        this.error(`unknown TCP option '${t.text}'`, t);
    }
  }

  private icmp(direction: '<' | '>', ip: IpInfo | null): IcmpPacket {
    this.next();
    const typeTok = this.tok;
    if (typeTok.kind !== 'word') this.error(`expected an ICMP type, found ${this.describe(typeTok)}`);
    this.next();
    let code: string | null = null;
    if (this.tok.kind === 'word' && this.tok.text !== 'mtu' && this.tok.text !== 'id') code = this.next().text;
    let mtu: number | null = null;
    if (this.isWord('mtu')) {
      this.next();
      mtu = this.uint('mtu', 0xffff);
    }
    if (this.isWord('id')) this.error('ICMP echo ids are not supported');
    let echoed: SeqSpec | null = null;
    if (this.isPunct('[')) {
      this.next();
      if (this.isWord('udp') || this.isWord('sctp') || this.isWord('udplite')) this.error(`ICMP quoting ${this.tok.text} is not supported`);
      echoed = this.seq();
      this.expectPunct(']', 'after the quoted segment');
    }
    return { proto: 'icmp', direction, ip, type: typeTok.text, code, mtu, echoed };
  }

  private udp(direction: '<' | '>', ip: IpInfo | null, ports: { src: number; dst: number } | null): UdpPacket {
    this.next();
    this.expectPunct('(', 'after udp');
    const length = this.uint('UDP payload size', 0xffff);
    this.expectPunct(')', 'after the UDP payload size');
    return { proto: 'udp', direction, ip, ports, length };
  }

  // ---- system calls -----------------------------------------------------------------------------

  private syscall(): Syscall {
    let endUs: number | null = null;
    if (this.tok.kind === 'ellipsis') {
      this.next();
      endUs = this.time();
    }
    const nameTok = this.tok;
    if (nameTok.kind !== 'word') this.error(`expected a system call name, found ${this.describe(nameTok)}`);
    this.next();
    this.expectPunct('(', `after ${nameTok.text}`);
    const args: Expr[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        args.push(this.expr());
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expectPunct(')', `to end the arguments of ${nameTok.text}`);
    this.expectPunct('=', `after ${nameTok.text}(...) (the expected result)`);
    const result = this.expr();
    let errno: string | null = null, errnoNote: string | null = null, note: string | null = null;
    if (this.tok.kind === 'word' && /^E[A-Z0-9]+$/.test(this.tok.text)) {
      errno = this.next().text;
      if (this.isPunct('(')) errnoNote = this.note();
      else this.error(`expected (description) after ${errno}`);
    }
    if (this.isPunct('(')) note = this.note();
    return { endUs, name: nameTok.text, args, result, errno, errnoNote, note };
  }

  /** `(words ...)`: the text inside, words joined by single spaces. */
  private note(): string {
    const open = this.next();
    const words: string[] = [];
    while (!this.isPunct(')')) {
      const t = this.tok;
      if (t.kind === 'eof' || t.line !== open.line) this.error("unterminated '(' note", open);
      if (this.isPunct('(')) this.error(`unexpected '(' in a note`);
      words.push(this.next().text);
    }
    this.next();
    if (words.length === 0) this.error('empty note', open);
    return words.join(' ');
  }

  /** After `word (`: does a `) =` close it within a few tokens (a field like msg_iov(1)=)? */
  private fieldWithArgs(): boolean {
    for (let k = 2; k < 8; k++) {
      const t = this.peek(k);
      if (t.kind === 'eof') return false;
      if (this.isPunct(')', t)) return this.isPunct('=', this.peek(k + 1));
      if (t.kind !== 'int' && t.kind !== 'ellipsis' && t.kind !== 'word') return false;
    }
    return false;
  }

  private expr(): Expr {
    let e = this.primary();
    while (this.isPunct('|')) {
      this.next();
      e = { kind: 'binary', op: '|', lhs: e, rhs: this.primary() };
    }
    return e;
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'ellipsis':
        this.next();
        return { kind: 'ellipsis' };
      case 'int':
        this.next();
        return { kind: 'int', value: Number(t.text), text: t.text };
      case 'hex':
        this.next();
        return { kind: 'int', value: Number(t.text), text: t.text };
      case 'string': {
        this.next();
        let trailingEllipsis = false;
        if (this.tok.kind === 'ellipsis') {
          this.next();
          trailingEllipsis = true;
        }
        return { kind: 'string', value: t.text, trailingEllipsis };
      }
      case 'word': {
        this.next();
        if (t.text === 'NULL') return { kind: 'null' };
        if (this.isPunct('(')) {
          this.next();
          const args: Expr[] = [];
          if (!this.isPunct(')')) {
            for (;;) {
              args.push(this.expr());
              if (!this.isPunct(',')) break;
              this.next();
            }
          }
          this.expectPunct(')', `to end ${t.text}(...)`);
          return { kind: 'call', name: t.text, args };
        }
        return { kind: 'word', name: t.text };
      }
      case 'punct':
        if (t.text === '[') {
          this.next();
          const items: Expr[] = [];
          if (!this.isPunct(']')) {
            for (;;) {
              items.push(this.expr());
              if (!this.isPunct(',')) break;
              this.next();
            }
          }
          this.expectPunct(']', 'to end the array');
          return { kind: 'array', items };
        }
        if (t.text === '{') {
          this.next();
          const fields: { name: string | null; value: Expr }[] = [];
          if (!this.isPunct('}')) {
            for (;;) {
              let name: string | null = null;
              if (this.tok.kind === 'word' && this.isPunct('=', this.peek())) {
                name = this.next().text;
                this.next();
              } else if (this.tok.kind === 'word' && this.isPunct('(', this.peek()) && this.fieldWithArgs()) {
                // msghdr-style `msg_iov(1)=[...]`: the parenthesised part is kept in the name.
                const n = this.next().text;
                this.next();
                const args: string[] = [];
                while (!this.isPunct(')')) args.push(this.next().text);
                this.next();
                this.next();
                name = `${n}(${args.join(' ')})`;
              }
              fields.push({ name, value: this.expr() });
              if (!this.isPunct(',')) break;
              this.next();
            }
          }
          this.expectPunct('}', 'to end the structure');
          return { kind: 'struct', fields };
        }
        break;
      default:
        break;
    }
    this.error(`expected an expression, found ${this.describe(t)}`);
  }
}
