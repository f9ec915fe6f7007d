// The script language: every line form parses to the expected AST, prints back, and parses again
// to the same AST; errors name the file and the line.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Script, ScriptEvent } from './ast';
import { ScriptError, parseScript, secondsToUs } from './parser';
import { printScript } from './printer';
import { SHARED_CONFORMANCE, discover } from './suite';

/** The AST without line numbers and path (they change when a script is printed). */
function shape(s: Script): unknown {
  return JSON.parse(JSON.stringify(s, (k, v) => (k === 'line' || k === 'path' || k === 'skippedBlocks' ? undefined : v)));
}

function roundTrip(text: string, defines: string[] = []): Script {
  const a = parseScript(text, 'a.pkt', { defines });
  const printed = printScript(a);
  const b = parseScript(printed, 'b.pkt');
  expect(shape(b), printed).toEqual(shape(a));
  // Printing is stable: the printed form prints to itself.
  expect(printScript(b)).toBe(printed);
  return a;
}

function only(text: string): ScriptEvent {
  const s = roundTrip(text);
  expect(s.events).toHaveLength(1);
  return s.events[0]!;
}

function errorOf(text: string, file = 'bad.pkt'): ScriptError {
  try {
    parseScript(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    return e as ScriptError;
  }
  throw new Error('expected a parse error');
}

describe('times', () => {
  it('reads seconds exactly as microseconds', () => {
    expect(secondsToUs('0')).toBe(0);
    expect(secondsToUs('1')).toBe(1_000_000);
    expect(secondsToUs('0.1')).toBe(100_000);
    expect(secondsToUs('.25')).toBe(250_000);
    expect(secondsToUs('2.000001')).toBe(2_000_001);
    expect(secondsToUs('0.0000019')).toBe(1);
  });

  it('absolute, relative, any, and ranges', () => {
    const s = roundTrip([
      '0 `sysctl -w a=1`',
      '+0.1 `sysctl -w a=2`',
      '1.5 `sysctl -w a=3`',
      '* > . 1:1(0) ack 1',
      '2.0~2.5 > . 1:1(0) ack 1',
      '+0.1~+0.3 > . 1:1(0) ack 1',
      '+.25 `x`',
    ].join('\n'));
    expect(s.events.map((e) => e.time)).toEqual([
      { kind: 'absolute', us: 0 },
      { kind: 'relative', us: 100_000 },
      { kind: 'absolute', us: 1_500_000 },
      { kind: 'any' },
      { kind: 'range', relative: false, startUs: 2_000_000, endUs: 2_500_000 },
      { kind: 'range', relative: true, startUs: 100_000, endUs: 300_000 },
      { kind: 'relative', us: 250_000 },
    ]);
  });

  it('* and ranges only for outbound packets; ranges not backwards', () => {
    expect(errorOf('0 `a`\n* < . 1:1(0) ack 1 win 10').line).toBe(2);
    expect(errorOf('0 `a`\n\n1~2 close(3) = 0').line).toBe(3);
    expect(errorOf('0.3~0.2 > . 1:1(0) ack 1').detail).toMatch(/backwards/);
  });
});

describe('options, comments and commands', () => {
  it('keeps options with their values, and bare flags', () => {
    const s = roundTrip('--ip_version=ipv4\n--tolerance_usecs=50000\n--local_ip=192.168.0.1\n--verbose\n--define=X=3\n0 `a`');
    expect(s.options.map((o) => [o.name, o.value])).toEqual([
      ['ip_version', 'ipv4'], ['tolerance_usecs', '50000'], ['local_ip', '192.168.0.1'], ['verbose', null], ['define', 'X=3'],
    ]);
    expect(s.options.map((o) => o.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('skips // and /* */ comments, also across lines and inside a line', () => {
    const s = roundTrip('// a comment\n/* a\n   block */ 0 close(3) = 0 // trailing\n+0 /* inline */ close(4) = 0');
    expect(s.events.map((e) => e.line)).toEqual([3, 4]);
  });

  it('back-quoted commands, multi-line, and init / cleanup commands', () => {
    const s = roundTrip('`init; two`\n0 `sysctl -w net.inet.tcp.insecure_rst=1`\n+0 `sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 0`\n+0 `a\n b`\n`cleanup`');
    expect(s.initCommand?.command).toBe('init; two');
    expect(s.cleanupCommand?.command).toBe('cleanup');
    expect(s.events.map((e) => (e.type === 'command' ? e.command : ''))).toEqual([
      'sysctl -w net.inet.tcp.insecure_rst=1', 'sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 0', 'a\n b',
    ]);
  });

  it('code blocks', () => {
    const e = only('+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%');
    expect(e).toMatchObject({ type: 'code', code: 'assert tcpi_state == TCPI_ESTABLISHED' });
  });

  it('#ifdef keeps its body only when the name is defined', () => {
    const text = '0 `a`\n#ifdef STANDARD\n+0 `b`\n#endif\n#ifdef FreeBSD\n+0 `c`\n#endif\n+0 `d`';
    const std = parseScript(text, 'x.pkt', { defines: ['STANDARD'] });
    expect(std.events.map((e) => (e.type === 'command' ? e.command : ''))).toEqual(['a', 'b', 'd']);
    expect(std.skippedBlocks).toEqual([{ line: 5, name: 'FreeBSD' }]);
    expect(std.events[2]!.line).toBe(8);
    const none = parseScript(text, 'x.pkt');
    expect(none.events.map((e) => (e.type === 'command' ? e.command : ''))).toEqual(['a', 'd']);
    expect(errorOf('0 `a`\n#endif').line).toBe(2);
    expect(errorOf('0 `a`\n#ifdef X\n+0 `b`').detail).toMatch(/unterminated #ifdef/);
  });

  it('NAME=value defines replace words', () => {
    const s = roundTrip('0 > S. 0:0(0) ack 1 <mss MSS>', ['MSS=1400']);
    const p = s.events[0]!;
    expect(p.type === 'packet' && p.packet.proto === 'tcp' && p.packet.options).toEqual([{ kind: 'mss', value: 1400 }]);
    const own = parseScript('--define=PORT=8081\n0 bind(3, {sa_family=AF_INET, sin_port=htons(PORT), sin_addr=inet_addr("192.0.2.1")}, 16) = 0', 'x');
    expect(JSON.stringify(own.events[0])).toContain('"value":8081');
  });
});

describe('TCP packets', () => {
  it('flags, sequence ranges, ack, win, urg', () => {
    const cases: [string, object][] = [
      ['0 < S 0:0(0) win 65535', { direction: '<', flags: 'S', seq: { kind: 'range', start: 0, end: 0, len: 0, absolute: false }, ack: null, win: 65535 }],
      ['0 > S. 0:0(0) ack 1 win 65535', { direction: '>', flags: 'S.', ack: 1 }],
      ['0 > . 1:1(0) ack 1', { flags: '.', win: null }],
      ['0 < F. 1:1(0) ack 2 win 10', { flags: 'F.' }],
      ['0 < R 5:5(0) win 0', { flags: 'R' }],
      ['0 > R. 0:0(0)! ack 1 win 0', { flags: 'R.', seq: { kind: 'range', start: 0, end: 0, len: 0, absolute: true } }],
      ['0 > P. 1:1001(1000) ack 1', { flags: 'P.', seq: { kind: 'range', start: 1, end: 1001, len: 1000, absolute: false } }],
      ['0 < - 1:1(0) win 10', { flags: '-' }],
      ['0 < SF 0:3(3) win 10', { flags: 'SF' }],
      ['0 > SEW 0:0(0) win 10', { flags: 'SEW' }],
      ['0 < SE. 0:0(0) ack 1 win 10', { flags: 'SE.' }],
      ['0 < UP. 1:2(1) ack 1 win 10 urg 1', { flags: 'UP.', urg: 1 }],
      ['0 > S. ...(0) ack 65537 win 65535', { seq: { kind: 'ignore', len: 0 }, ack: 65537 }],
      ['0 < 40000>8080 S 0:0(0) win 10', { ports: { src: 40000, dst: 8080 } }],
      ['0 < S 4294967295:4294967295(0) win 10', { seq: { kind: 'range', start: 4294967295, end: 4294967295, len: 0, absolute: false } }],
      ['0 < . 4294967295:4(5) ack 1 win 10', { seq: { kind: 'range', start: 4294967295, end: 4, len: 5, absolute: false } }],
    ];
    for (const [text, want] of cases) {
      const e = only(text);
      expect(e.type, text).toBe('packet');
      expect(e.type === 'packet' && e.packet, text).toMatchObject({ proto: 'tcp', ...want });
    }
  });

  it('every TCP option', () => {
    const e = only('0 < S 0:0(0) win 10 <mss 1460,nop,eol,sackOK,sack 1:2 3:4,wscale 7,TS val 100 ecr 0,TS val 5 ecr 7!,md5 valid,FO abcd,FOEXP>');
    expect(e.type === 'packet' && e.packet.proto === 'tcp' && e.packet.options).toEqual([
      { kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'eol' }, { kind: 'sackOK' },
      { kind: 'sack', blocks: [[1, 2], [3, 4]] }, { kind: 'wscale', value: 7 },
      { kind: 'ts', val: 100, ecr: 0, ecrAbsolute: false }, { kind: 'ts', val: 5, ecr: 7, ecrAbsolute: true },
      { kind: 'md5', value: 'valid' }, { kind: 'fo', cookie: 'abcd', experimental: false }, { kind: 'fo', cookie: null, experimental: true },
    ]);
    const any = only('0 > S. 0:0(0) ack 1 <...>');
    expect(any.type === 'packet' && any.packet.proto === 'tcp' && any.packet.options).toBe('any');
    const tsAny = only('0 > . 1:1(0) ack 1 <nop, nop, TS val ... ecr 100>');
    expect(JSON.stringify(tsAny)).toContain('"val":null');
  });

  it('IP fields and UDP encapsulation', () => {
    const e = only('0 > (tos 0x20, ttl 4) R 1:1(0) win 0/udp(9811 > 1)');
    expect(e.type === 'packet' && e.packet).toMatchObject({
      ip: { bracket: '(', items: [{ key: 'tos', value: '0x20' }, { key: 'ttl', value: '4' }] }, udpEncaps: { src: 9811, dst: 1 },
    });
    const ecn = only('0 > [ect0] . 1:1(0) ack 1');
    expect(ecn.type === 'packet' && ecn.packet.ip).toEqual({ bracket: '[', items: [{ key: 'ect0', value: null }] });
  });

  it('ICMP and UDP lines', () => {
    const e = only('0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]');
    expect(e.type === 'packet' && e.packet).toMatchObject({
      proto: 'icmp', type: 'unreachable', code: 'frag_needed', mtu: 1200, echoed: { kind: 'range', start: 1, end: 1461, len: 1460 },
    });
    const bare = only('0 < icmp unreachable port_unreachable');
    expect(bare.type === 'packet' && bare.packet).toMatchObject({ proto: 'icmp', code: 'port_unreachable', mtu: null, echoed: null });
    const udp = only('0 < udp (100)');
    expect(udp.type === 'packet' && udp.packet).toMatchObject({ proto: 'udp', length: 100 });
  });

  it('rejects what packetdrill rejects, naming the line', () => {
    expect(errorOf('0 `a`\n+0 < S 0:0(0)').detail).toMatch(/window must be specified/);
    expect(errorOf('0 `a`\n+0 < S 0:0(0)').line).toBe(2);
    expect(errorOf('0 `a`\n\n+0 > S 0:5(0) win 1').line).toBe(3);
    expect(errorOf('0 > S 0:5(0) win 1').detail).toMatch(/inconsistent/);
    expect(errorOf('0 > Q 0:0(0)').detail).toMatch(/unknown TCP flag 'Q'/);
    expect(errorOf('0 < S 0:0(0) win 10 <...>').detail).toMatch(/outbound/);
    expect(errorOf('0 < S 0:0(0) win 70000').detail).toMatch(/window out of range/);
    expect(errorOf('0 < S 0:0(0) win 1 <bogus 3>').detail).toMatch(/unknown TCP option/);
    expect(errorOf('0 `a`\n/* never closed').detail).toMatch(/unterminated/);
    expect(errorOf('0 `a`\n--late=1').detail).toMatch(/after the first event/);
    const e = errorOf('0 `a`\n+0 > S 0:0(0', 'dir/x.pkt');
    expect(e.message).toMatch(/^dir\/x\.pkt:2: /);
  });
});

describe('system calls', () => {
  it('arguments of every kind', () => {
    const e = only('+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0');
    expect(e.type === 'syscall' && e.call).toMatchObject({
      name: 'bind',
      args: [
        { kind: 'int', value: 3 },
        { kind: 'struct', fields: [
          { name: 'sa_family', value: { kind: 'word', name: 'AF_INET' } },
          { name: 'sin_port', value: { kind: 'call', name: 'htons', args: [{ kind: 'int', value: 8080 }] } },
          { name: 'sin_addr', value: { kind: 'call', name: 'inet_addr', args: [{ kind: 'string', value: '192.0.2.1' }] } },
        ] },
        { kind: 'int', value: 16 },
      ],
      result: { kind: 'int', value: 0 },
    });
    const more = [
      '+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
      '+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0',
      '+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0',
      '+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0',
      '+0 write(4, "hello"..., 5) = 5',
      '+0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10',
      '+0 setsockopt(3, SOL_SOCKET, SO_ATTACH_FILTER, NULL, 0) = -1 EFAULT (Bad address)',
      '+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [], [4]) = 0',
    ];
    roundTrip(more.join('\n'));
  });

  it('results: values, errno with its note, a note alone, hex', () => {
    const a = only('+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)');
    expect(a.type === 'syscall' && a.call).toMatchObject({ result: { kind: 'int', value: -1 }, errno: 'EINPROGRESS', errnoNote: 'Operation now in progress', note: null });
    const b = only('+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)');
    expect(b.type === 'syscall' && b.call).toMatchObject({ result: { kind: 'int', value: 2, text: '0x02' }, errno: null, note: 'flags O_RDWR' });
    const c = only('+0 read(3, ..., 100) = -1 EWOULDBLOCK (Operation would block)');
    expect(c.type === 'syscall' && c.call.errno).toBe('EWOULDBLOCK');
    // The errno may be on the next line of a long call.
    const d = roundTrip('+0 read(3,\n ..., 100)\n = -1 EAGAIN (Resource temporarily unavailable)');
    expect(d.events[0]!.type === 'syscall' && d.events[0]!.line).toBe(1);
  });

  it('blocking calls with an end time', () => {
    const e = only('+0.1...0.3 accept(3, ..., ...) = 4');
    expect(e).toMatchObject({ time: { kind: 'relative', us: 100_000 }, type: 'syscall', call: { endUs: 300_000, name: 'accept' } });
  });

  it('errors name the line', () => {
    expect(errorOf('0 `a`\n+0 close(3)').line).toBe(2);
    expect(errorOf('0 `a`\n+0 close(3 = 0').detail).toMatch(/expected '\)'/);
    expect(errorOf('0 `a`\n+0 connect(3, ..., ...) = -1 EINPROGRESS').detail).toMatch(/description/);
    expect(errorOf('0 `a`\n+0 hello').detail).toMatch(/expected a packet, system call/);
  });
});

describe('the shared suite', () => {
  const files = existsSync(SHARED_CONFORMANCE) ? discover([SHARED_CONFORMANCE]) : [];

  it('is there', () => {
    expect(files.length).toBeGreaterThan(300);
  });

  it('every script parses and round-trips', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const defines of [['STANDARD'], ['FreeBSD'], []]) roundTrip(text, defines);
    }
  });
});
