// `%{ ... }%` blocks. packetdrill hands them to Python with a TCP_INFO snapshot of the socket under
// test; the scripts here only assert on it (`assert tcpi_state == TCPI_ESTABLISHED`). This is a
// small evaluator for such assertions: `assert <expr>` statements (one per line or `;`), where
// <expr> has integers, TCPI_*/other constants, tcpi_* fields, parentheses, `| & ^ + - * //`,
// comparisons, `not`, `and`, `or`. Anything else throws Unsupported.

import { type SocketLayer, Unsupported } from './sockets';
import { SYMBOLS } from './symbols';
import {
  OUT_OF_ORDER_IN, PEER_OFFERED_SCALE, RCV_MSS, RCV_SCALE, RETRANSMITS, RTO, RTTVAR, SACK_OK,
  SND_SCALE, SRTT, SSTHRESH, TS_OK,
} from '../../src/tcp/connection';

export type TcpInfo = Readonly<Record<string, number>>;

const TCPI_STATE: Readonly<Record<string, number>> = Object.freeze({
  CLOSED: SYMBOLS.TCPI_CLOSED!, LISTEN: SYMBOLS.TCPI_LISTEN!, SYN_SENT: SYMBOLS.TCPI_SYN_SENT!, SYN_RCVD: SYMBOLS.TCPI_SYN_RECEIVED!,
  ESTABLISHED: SYMBOLS.TCPI_ESTABLISHED!, CLOSE_WAIT: SYMBOLS.TCPI_CLOSE_WAIT!, FIN_WAIT_1: SYMBOLS.TCPI_FIN_WAIT_1!,
  CLOSING: SYMBOLS.TCPI_CLOSING!, LAST_ACK: SYMBOLS.TCPI_LAST_ACK!, FIN_WAIT_2: SYMBOLS.TCPI_FIN_WAIT_2!, TIME_WAIT: SYMBOLS.TCPI_TIME_WAIT!,
});

/**
 * A TCP_INFO snapshot (FreeBSD's field names and constants) of the socket under test: the one the
 * script created or accepted last. A closed descriptor reads as CLOSED.
 */
export function tcpInfo(sockets: SocketLayer, windowScaleOn: boolean): TcpInfo {
  const s = sockets.underTest;
  if (s === null || !sockets.sockets.has(s.fd)) return { tcpi_state: SYMBOLS.TCPI_CLOSED! };
  const c = s.conn;
  const info: Record<string, number> = { tcpi_state: TCPI_STATE[s.state] ?? -1, tcpi_options: 0 };
  if (c !== null) {
    info.tcpi_options = ((c.flags & TS_OK) !== 0 ? SYMBOLS.TCPI_OPT_TIMESTAMPS! : 0) | ((c.flags & SACK_OK) !== 0 ? SYMBOLS.TCPI_OPT_SACK! : 0) |
      ((c.flags & PEER_OFFERED_SCALE) !== 0 && windowScaleOn ? SYMBOLS.TCPI_OPT_WSCALE! : 0);
    Object.assign(info, {
      tcpi_snd_wscale: c.v[SND_SCALE], tcpi_rcv_wscale: c.v[RCV_SCALE], tcpi_rto: c.v[RTO] * 1000,
      tcpi_rtt: Math.max(0, c.v[SRTT]) * 1000, tcpi_rttvar: c.v[RTTVAR] * 1000, tcpi_snd_mss: c.sndMss, tcpi_rcv_mss: c.v[RCV_MSS],
      tcpi_snd_cwnd: c.cwnd, tcpi_snd_ssthresh: c.v[SSTHRESH], tcpi_snd_wnd: c.sndWnd,
      tcpi_rcv_space: c.receiveBuffer.free, tcpi_snd_rexmitpack: c.v[RETRANSMITS], tcpi_rcv_ooopack: c.v[OUT_OF_ORDER_IN],
    });
  }
  return info;
}

type Tok = { t: 'num'; v: number } | { t: 'name'; v: string } | { t: 'op'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(0x[0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|\/\/|[()|&^+\-*<>]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new Unsupported(`code: cannot read '${src.slice(i).trim()}'`);
    if (m[1] !== undefined) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'name', v: m[2] });
    else out.push({ t: 'op', v: m[3]! });
    i = re.lastIndex;
  }
  return out;
}

class Eval {
  private i = 0;
  constructor(private readonly toks: Tok[], private readonly info: TcpInfo) {}

  run(): number {
    const v = this.or();
    if (this.i !== this.toks.length) throw new Unsupported('code: trailing tokens');
    return v;
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'op' && t.v === v;
  }

  private isName(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === 'name' && t.v === v;
  }

  private or(): number {
    let v = this.and();
    while (this.isName('or')) {
      this.i++;
      const r = this.and();
      v = v || r ? 1 : 0;
    }
    return v;
  }

  private and(): number {
    let v = this.not();
    while (this.isName('and')) {
      this.i++;
      const r = this.not();
      v = v && r ? 1 : 0;
    }
    return v;
  }

  private not(): number {
    if (this.isName('not')) {
      this.i++;
      return this.not() ? 0 : 1;
    }
    return this.cmp();
  }

  private cmp(): number {
    const l = this.bits();
    const t = this.peek();
    if (t?.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.i++;
      const r = this.bits();
      switch (t.v) {
        case '==': return l === r ? 1 : 0;
        case '!=': return l !== r ? 1 : 0;
        case '<': return l < r ? 1 : 0;
        case '<=': return l <= r ? 1 : 0;
        case '>': return l > r ? 1 : 0;
        default: return l >= r ? 1 : 0;
      }
    }
    return l;
  }

  private bits(): number {
    let v = this.sum();
    for (;;) {
      if (this.isOp('|')) { this.i++; v = v | this.sum(); }
      else if (this.isOp('&')) { this.i++; v = v & this.sum(); }
      else if (this.isOp('^')) { this.i++; v = v ^ this.sum(); }
      else return v;
    }
  }

  private sum(): number {
    let v = this.product();
    for (;;) {
      if (this.isOp('+')) { this.i++; v += this.product(); }
      else if (this.isOp('-')) { this.i++; v -= this.product(); }
      else return v;
    }
  }

  private product(): number {
    let v = this.atom();
    for (;;) {
      if (this.isOp('*')) { this.i++; v *= this.atom(); }
      else if (this.isOp('//')) { this.i++; v = Math.floor(v / this.atom()); }
      else return v;
    }
  }

  private atom(): number {
    const t = this.toks[this.i++];
    if (t === undefined) throw new Unsupported('code: expression ends early');
    if (t.t === 'num') return t.v;
    if (t.t === 'op' && t.v === '(') {
      const v = this.or();
      if (!this.isOp(')')) throw new Unsupported("code: missing ')'");
      this.i++;
      return v;
    }
    if (t.t === 'op' && t.v === '-') return -this.atom();
    if (t.t === 'name') {
      if (t.v.startsWith('tcpi_')) {
        const v = this.info[t.v];
        if (v === undefined) throw new Unsupported(`code: TCP_INFO field ${t.v}`);
        return v;
      }
      const c = SYMBOLS[t.v];
      if (c === undefined) throw new Unsupported(`code: name ${t.v}`);
      return c;
    }
    throw new Unsupported(`code: unexpected '${t.v}'`);
  }
}

/** Run a code block; returns null when every assertion holds, else the one that failed. */
export function runCode(code: string, info: TcpInfo): string | null {
  for (const raw of code.split(/[\n;]/)) {
    const stmt = raw.trim();
    if (stmt === '' || stmt.startsWith('#')) continue;
    const m = /^assert\s+(.*)$/.exec(stmt);
    if (!m) throw new Unsupported(`code: statement '${stmt}' (only assert is supported)`);
    const expr = m[1]!.replace(/,\s*(['"]).*\1\s*$/, '');
    const v = new Eval(lex(expr), info).run();
    if (!v) {
      const fields = [...new Set(expr.match(/tcpi_[a-z_0-9]+/g) ?? [])].map((f) => `${f}=${info[f]}`).join(', ');
      return `assertion failed: ${expr}${fields ? ` (${fields})` : ''}`;
    }
  }
  return null;
}
