// Scripts back to text, one event per line, in the canonical spelling the parser reads. Used for
// the parser's round-trip tests and to quote script lines in failure messages.

import type { EventTime, Expr, IpInfo, Packet, Script, ScriptEvent, SeqSpec, Syscall, TcpOption } from './ast';

/** Microseconds as seconds with six decimals (`0.100000`), trailing zeros trimmed to three. */
export function usToSeconds(us: number): string {
  const s = (us / 1e6).toFixed(6);
  return s.replace(/(\.\d{3}\d*?)0+$/, '$1');
}

export function printTime(t: EventTime): string {
  switch (t.kind) {
    case 'absolute': return usToSeconds(t.us);
    case 'relative': return `+${usToSeconds(t.us)}`;
    case 'any': return '*';
    case 'range':
      return t.relative ? `+${usToSeconds(t.startUs)}~+${usToSeconds(t.endUs)}` : `${usToSeconds(t.startUs)}~${usToSeconds(t.endUs)}`;
  }
}

export function printSeq(s: SeqSpec): string {
  if (s.kind === 'ignore') return `...(${s.len})`;
  return `${s.start}:${s.end}(${s.len})${s.absolute ? '!' : ''}`;
}

export function printTcpOption(o: TcpOption): string {
  switch (o.kind) {
    case 'nop': return 'nop';
    case 'eol': return 'eol';
    case 'sackOK': return 'sackOK';
    case 'mss': return `mss ${o.value}`;
    case 'wscale': return `wscale ${o.value}`;
    case 'sack': return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'ts': return `TS val ${o.val === null ? '...' : o.val} ecr ${o.ecr}${o.ecrAbsolute ? '!' : ''}`;
    case 'md5': return `md5 ${o.value}`;
    case 'fo': return `${o.experimental ? 'FOEXP' : 'FO'}${o.cookie === null ? '' : ` ${o.cookie}`}`;
  }
}

function printIpInfo(ip: IpInfo): string {
  const close = ip.bracket === '(' ? ')' : ']';
  return `${ip.bracket}${ip.items.map((i) => (i.value === null ? i.key : `${i.key} ${i.value}`)).join(', ')}${close}`;
}

export function printPacket(p: Packet): string {
  const parts: string[] = [p.direction];
  if (p.ip) parts.push(printIpInfo(p.ip));
  switch (p.proto) {
    case 'tcp': {
      if (p.ports) parts.push(`${p.ports.src}>${p.ports.dst}`);
      parts.push(p.flags, printSeq(p.seq));
      if (p.ack !== null) parts.push(`ack ${p.ack}`);
      if (p.win !== null) parts.push(`win ${p.win}`);
      if (p.urg !== null) parts.push(`urg ${p.urg}`);
      if (p.options === 'any') parts.push('<...>');
      else if (p.options !== null) parts.push(`<${p.options.map(printTcpOption).join(',')}>`);
      let s = parts.join(' ');
      if (p.udpEncaps) s += `/udp(${p.udpEncaps.src} > ${p.udpEncaps.dst})`;
      return s;
    }
    case 'icmp':
      parts.push('icmp', p.type);
      if (p.code !== null) parts.push(p.code);
      if (p.mtu !== null) parts.push(`mtu ${p.mtu}`);
      if (p.echoed) parts.push(`[${printSeq(p.echoed)}]`);
      return parts.join(' ');
    case 'udp':
      if (p.ports) parts.push(`${p.ports.src}>${p.ports.dst}`);
      parts.push(`udp (${p.length})`);
      return parts.join(' ');
  }
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'ellipsis': return '...';
    case 'int': return e.text;
    case 'word': return e.name;
    case 'null': return 'NULL';
    case 'string': return `"${e.value}"${e.trailingEllipsis ? '...' : ''}`;
    case 'binary': return `${printExpr(e.lhs)} ${e.op} ${printExpr(e.rhs)}`;
    case 'array': return `[${e.items.map(printExpr).join(', ')}]`;
    case 'struct': return `{${e.fields.map((f) => (f.name === null ? printExpr(f.value) : `${f.name}=${printExpr(f.value)}`)).join(', ')}}`;
    case 'call': return `${e.name}(${e.args.map(printExpr).join(', ')})`;
  }
}

export function printSyscall(c: Syscall): string {
  let s = c.endUs !== null ? `...${usToSeconds(c.endUs)} ` : '';
  s += `${c.name}(${c.args.map(printExpr).join(', ')}) = ${printExpr(c.result)}`;
  if (c.errno !== null) s += ` ${c.errno} (${c.errnoNote ?? ''})`;
  if (c.note !== null) s += ` (${c.note})`;
  return s;
}

/** The action of an event, without its time. */
export function printAction(e: ScriptEvent): string {
  switch (e.type) {
    case 'packet': return printPacket(e.packet);
    case 'syscall': return printSyscall(e.call);
    case 'command': return `\`${e.command}\``;
    case 'code': return `%{ ${e.code} }%`;
  }
}

export function printEvent(e: ScriptEvent): string {
  return `${printTime(e.time)} ${printAction(e)}`;
}

export function printScript(s: Script): string {
  const lines: string[] = [];
  for (const o of s.options) {
    if (o.value === null) lines.push(`--${o.name}`);
    else lines.push(`--${o.name}=${o.value}`);
  }
  if (s.initCommand) lines.push(`\`${s.initCommand.command}\``);
  for (const e of s.events) lines.push(printEvent(e));
  if (s.cleanupCommand) lines.push(`\`${s.cleanupCommand.command}\``);
  return lines.join('\n') + '\n';
}
