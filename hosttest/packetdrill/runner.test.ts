// The runner against synstack: scripts that pass, and mutants of them that must fail at the line
// that was changed (a segment's flags, sequence number, ACK, length, time; a segment removed; a
// segment added). Shared scripts are read in place and mutated in memory.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript } from './parser';
import { strictProfile, synstackProfile } from './profile';
import { type RunResult, runScript } from './runner';
import { SHARED_CONFORMANCE } from './suite';

function run(text: string, opts: { profile?: typeof strictProfile; defines?: string[] } = {}): RunResult {
  return runScript(parseScript(text, 'test.pkt', { defines: opts.defines ?? ['STANDARD'] }), { profile: opts.profile });
}

function expectPass(text: string, opts: { profile?: typeof strictProfile } = {}): RunResult {
  const r = run(text, opts);
  expect(r.failure, JSON.stringify(r.failure, null, 1) + '\n' + r.trace.join('\n')).toBeNull();
  expect(r.status).toBe('pass');
  return r;
}

function expectFail(text: string, line: number, kind: string, message?: RegExp): RunResult {
  const r = run(text);
  expect(r.status, r.trace.join('\n')).toBe('fail');
  expect({ line: r.failure!.line, kind: r.failure!.kind }, JSON.stringify(r.failure, null, 1)).toEqual({ line, kind });
  if (message) expect(r.failure!.message).toMatch(message);
  return r;
}

/** 1-based line number of the first line containing `needle`. */
function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`no line contains ${needle}`);
}

function replaceLine(text: string, line: number, f: (l: string) => string): string {
  const lines = text.split('\n');
  lines[line - 1] = f(lines[line - 1]!);
  return lines.join('\n');
}

function insertAfter(text: string, line: number, newLine: string): string {
  const lines = text.split('\n');
  lines.splice(line, 0, newLine);
  return lines.join('\n');
}

// Our own scripts (written for these tests).
const PASSIVE = `// A passive open, data both ways, and an orderly close.
--tolerance_usecs=10000

0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0    bind(3, ..., ...) = 0
+0    listen(3, 1) = 0

+0.1  < S 0:0(0) win 32768 <mss 1460,sackOK,nop,nop>
+0    > S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK>
+0.1  < . 1:1(0) ack 1 win 32768
+0    accept(3, ..., ...) = 4

+0    write(4, ..., 1000) = 1000
+0    > P. 1:1001(1000) ack 1 win 65535
+0.1  < . 1:1(0) ack 1001 win 32768

+0    < P. 1:101(100) ack 1001 win 32768
+0.1~+0.2 > . 1001:1001(0) ack 101
+0    read(4, ..., 1000) = 100

+0    close(4) = 0
+0    > F. 1001:1001(0) ack 101
+0.1  < F. 101:101(0) ack 1002 win 32768
+0    > . 1002:1002(0) ack 102
+0    close(3) = 0
`;

const ACTIVE = `// An active open with timestamps, then a reset by the peer.
--tolerance_usecs=10000

0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0    fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0    fcntl(3, F_GETFL) = 0x6 (flags O_RDWR | O_NONBLOCK)
+0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0    > S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 1>
+0.05 < S. 0:0(0) ack 1 win 32768 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 2>
+0    > . 1:1(0) ack 1 <nop,nop,TS val 150 ecr 700>
+0    getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0    %{ assert tcpi_state == TCPI_ESTABLISHED and tcpi_options & TCPI_OPT_TIMESTAMPS }%
+0    read(3, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)
+0.1  < R. 1:1(0) ack 1 win 0
+0    getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
+0    read(3, ..., 100) = 0
+0    close(3) = 0
`;

const SNIPPET = join(SHARED_CONFORMANCE, 'freebsd-tcp-testsuite', 'snippets', 'established-ipv4.pkt');
const CLOSED = join(SHARED_CONFORMANCE, 'freebsd-tcp-testsuite', 'state-event-engine', 'rcv-ack-closed', 'rcv-ack-with-data-closed-ipv4.pkt');
const SYN_RCVD = join(SHARED_CONFORMANCE, 'freebsd-tcp-testsuite', 'state-event-engine', 'rcv-rst-syn-rcvd', 'rcv-rst-syn-rcvd-via-listen-left-edge-insecure-ipv4.pkt');

describe('scripts that pass', () => {
  it('passive open, data, close', () => {
    const r = expectPass(PASSIVE);
    expect(r.trace.some((t) => t.includes('> P. 1:1001(1000) ack 1'))).toBe(true);
  });

  it('active open with timestamps, reset; socket errors and a code assertion', () => {
    expectPass(ACTIVE);
  });

  it('shared scripts: an active open from the snippets, an RST for a closed port, a SYN cache count', () => {
    expectPass(readFileSync(SNIPPET, 'utf8'));
    expectPass(readFileSync(CLOSED, 'utf8'));
    expectPass(readFileSync(SYN_RCVD, 'utf8'));
  });

  it('relaxations are counted, and the strict profile refuses them', () => {
    const text = readFileSync(SNIPPET, 'utf8');
    const r = expectPass(text);
    expect(r.relaxed['option-layout']).toBeGreaterThan(0);
    const strict = run(text, { profile: strictProfile });
    expect(strict.status).toBe('fail');
    expect(strict.failure!.line).toBe(lineOf(text, '> S  0:0(0)'));
    expect(strict.failure!.message).toMatch(/options: expected <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>/);
    expect(synstackProfile.optionLayout).toBe('set');
  });
});

describe('mutants fail at the line that was changed', () => {
  const base = PASSIVE;
  const synAck = lineOf(base, '> S. 0:0(0)');
  const data = lineOf(base, '> P. 1:1001');
  const fin = lineOf(base, '> F. 1001:1001');
  const lastAck = lineOf(base, '> . 1002:1002');

  it('flags', () => {
    expectFail(replaceLine(base, data, (l) => l.replace('> P.', '> .')), data, 'mismatch', /flags: expected \., got P\./);
    expectFail(replaceLine(base, fin, (l) => l.replace('> F.', '> R.')), fin, 'mismatch', /flags: expected R\., got F\./);
    expectFail(replaceLine(base, synAck, (l) => l.replace('> S.', '> S')), synAck, 'mismatch', /flags/);
  });

  it('sequence number', () => {
    expectFail(replaceLine(base, fin, (l) => l.replace('1001:1001(0)', '1002:1002(0)')), fin, 'mismatch', /seq: expected 1002, got 1001/);
    expectFail(replaceLine(base, lastAck, (l) => l.replace('1002:1002(0)', '1001:1001(0)')), lastAck, 'mismatch', /seq/);
  });

  it('acknowledgment number', () => {
    expectFail(replaceLine(base, data, (l) => l.replace('ack 1 ', 'ack 2 ')), data, 'mismatch', /ack: expected 2, got 1/);
    expectFail(replaceLine(base, lastAck, (l) => l.replace('ack 102', 'ack 101')), lastAck, 'mismatch', /ack: expected 101, got 102/);
  });

  it('payload length', () => {
    expectFail(replaceLine(base, data, (l) => l.replace('1:1001(1000)', '1:1000(999)')), data, 'mismatch', /length: expected 999, got 1000/);
  });

  it('window, where the profile does not relax it (zero against non-zero)', () => {
    expectFail(replaceLine(base, data, (l) => l.replace('win 65535', 'win 0')), data, 'mismatch', /window: expected 0/);
  });

  it('time: the right segment at the wrong time', () => {
    expectFail(replaceLine(base, fin, (l) => l.replace('+0 ', '+0.5 ')), fin, 'timing', /expected at/);
    expectFail(replaceLine(base, data, (l) => l.replace('+0 ', '+0.02')), data, 'timing');
  });

  it('a missing segment: the line expects one and none comes', () => {
    const extra = insertAfter(base, data, '+0    > . 1001:1001(0) ack 1');
    expectFail(extra, data + 1, 'missing', /synstack sent nothing/);
    // After the last line too.
    const atEnd = base.trimEnd() + '\n+0.1 > . 1002:1002(0) ack 102\n';
    expectFail(atEnd, lineOf(atEnd, 'close(3) = 0') + 1, 'missing');
  });

  it('an extra segment: synstack sends one no line expects (the line after which it was sent)', () => {
    const noData = replaceLine(base, data, () => '// (removed)');
    expectFail(noData, data - 1, 'unexpected', /no line expects/);
    const noLast = replaceLine(base, lastAck, () => '// (removed)');
    expectFail(noLast, lastAck - 1, 'unexpected', /no line expects/);
  });

  it('mutants of a shared script', () => {
    const text = readFileSync(SNIPPET, 'utf8');
    const ack = lineOf(text, '>  . 1:1(0) ack 1 win 65535');
    const finLine = lineOf(text, '> F. 1:1(0) ack 1 win 65535');
    expectFail(replaceLine(text, finLine, (l) => l.replace('F.', 'R.')), finLine, 'mismatch', /flags/);
    expectFail(replaceLine(text, finLine, (l) => l.replace('ack 1 ', 'ack 2 ')), finLine, 'mismatch', /ack/);
    expectFail(replaceLine(text, ack, () => ''), ack - 1, 'unexpected');
    expectFail(insertAfter(text, finLine, '+0.00 > P. 1:11(10) ack 1 win 65535'), finLine + 1, 'missing');
    // A segment that does come, but later (the FIN's retransmission): a timing failure. The RTO
    // after the handshake's 100 ms sample is 100 + 4 · 50 + FreeBSD's 200 ms rexmit_slop = 500 ms.
    expectFail(insertAfter(text, finLine, '+0.00 > F. 1:1(0) ack 1 win 65535'), finLine + 1, 'timing', /sent at 0\.700 s, expected at 0\.200 s/);
    const closed = readFileSync(CLOSED, 'utf8');
    const rst = lineOf(closed, '> R  34:34(0)');
    expectFail(replaceLine(closed, rst, (l) => l.replace('34:34', '35:35')), rst, 'mismatch', /seq: expected 35, got 34/);
  });

  it('a system call result and a socket error', () => {
    const l = lineOf(ACTIVE, 'SO_ERROR, [ECONNRESET]');
    expectFail(replaceLine(ACTIVE, l, (x) => x.replace('ECONNRESET', 'ECONNREFUSED')), l, 'syscall', /expected ECONNREFUSED \(61\), got ECONNRESET \(54\)/);
    const rd = lineOf(ACTIVE, 'read(3, ..., 100) = -1 EAGAIN');
    expectFail(replaceLine(ACTIVE, rd, (x) => x.replace('EAGAIN (Resource temporarily unavailable)', 'ENOTCONN (Socket is not connected)')), rd, 'syscall', /failed with EAGAIN, expected ENOTCONN/);
    const code = lineOf(ACTIVE, 'tcpi_state');
    expectFail(replaceLine(ACTIVE, code, (x) => x.replace('TCPI_ESTABLISHED', 'TCPI_CLOSE_WAIT')), code, 'code', /assertion failed/);
  });

  it('a sockstat count', () => {
    const text = readFileSync(SYN_RCVD, 'utf8');
    const l = lineOf(text, 'grep -c SYN_RCVD | grep 1');
    expectFail(replaceLine(text, l, (x) => x.replace('grep 1', 'grep 2')), l, 'command', /exited with status 1/);
  });
});

describe('time and blocking calls', () => {
  it('a blocking accept returns when the handshake completes, at its ...end time', () => {
    const text = `--tolerance_usecs=10000
0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0...0.200 accept(3, ..., ...) = 4
0.100 < S 0:0(0) win 32768 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
0.200 < . 1:1(0) ack 1 win 32768
+0.1 close(4) = 0
+0 > F. 1:1(0) ack 1
`;
    expectPass(text);
    const early = text.replace('0.200 < . 1:1(0)', '0.150 < . 1:1(0)');
    expectFail(early, 5, 'timing', /accept\(\) returned at 0\.150/);
    expectFail(text.replace('+0...0.200 accept', '+0 accept'), 5, 'syscall', /would block/);
  });

  it('retransmissions at their RTO, on the virtual clock; * waits for any time', () => {
    const text = `0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 \`sysctl -w net.inet.tcp.rexmit_initial=1000 net.inet.tcp.rfc1323=0 net.inet.tcp.sack.enable=0\`
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460>
1.0 > S 0:0(0) win 65535 <mss 1460>
3.0 > S 0:0(0) win 65535 <mss 1460>
* > S 0:0(0) win 65535 <mss 1460>
+0 close(3) = 0
`;
    const r = expectPass(text);
    expect(r.trace.filter((t) => t.includes('> S 0:0(0)')).map((t) => t.split(' ')[0])).toEqual(['0.000', '1.000', '3.000', '7.000']);
    expectFail(text.replace('3.0 > S', '2.5 > S'), 7, 'timing', /sent at 3\.000 s, expected at 2\.500 s/);
  });

  it('sysctls change the stack at run time (insecure_rst: an in-window RST resets)', () => {
    const text = `--tolerance_usecs=10000
0 \`sysctl -w net.inet.tcp.insecure_rst=1\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+0.1 < S. 0:0(0) ack 1 win 32768 <mss 1460>
+0 > . 1:1(0) ack 1
+0.1 < R 100:100(0) win 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
+0 close(3) = 0
`;
    expectPass(text);
    // RFC 5961 (the default): the same RST draws a challenge ACK and the connection lives on.
    const secure = text.replace('insecure_rst=1', 'insecure_rst=0');
    expectFail(secure, lineOf(secure, 'SO_ERROR'), 'syscall', /expected ECONNRESET \(54\), got 0/);
    const challenged = insertAfter(secure, lineOf(secure, '< R 100:100'), '+0 > . 1:1(0) ack 1').replace('[ECONNRESET]', '[0]') + '+0 > F. 1:1(0) ack 1\n';
    expectPass(challenged);
  });
});

describe('the socket layer', () => {
  const SOCKETS = `--tolerance_usecs=10000
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.168.0.1")}, 16) = 0
+0 listen(3, 1) = 0
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
+0 < S 0:0(0) win 32768 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 32768
+0 accept(3, ..., ...) = 4
+0 < P. 1:11(10) ack 1 win 32768
+0 recv(4, ..., 100, MSG_PEEK) = 10
+0 read(4, ..., 4) = 4
+0 read(4, ..., 100) = 6
+0 read(4, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)
* > . 1:1(0) ack 11
+0 shutdown(4, SHUT_WR) = 0
+0 > F. 1:1(0) ack 11
+0 write(4, ..., 10) = -1 EPIPE (Broken pipe)
+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0 getsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, [8]) = 0
+0 close(4) = 0
+0 > R 2:2(0)
+0 close(3) = 0
+0 close(3) = -1 EBADF (Bad file descriptor)
`;

  it('accept, MSG_PEEK, partial reads, EAGAIN, shutdown, EPIPE, SO_LINGER abort, EBADF', () => {
    expectPass(SOCKETS);
    const peek = lineOf(SOCKETS, 'MSG_PEEK');
    expectFail(replaceLine(SOCKETS, peek, (l) => l.replace('= 10', '= 9')), peek, 'syscall', /returned 10, expected 9/);
    const lingerClose = lineOf(SOCKETS, 'close(4)');
    // Without SO_LINGER the close is orderly (no RST).
    const noLinger = replaceLine(SOCKETS, lingerClose - 2, () => '');
    expectFail(replaceLine(noLinger, lingerClose - 1, () => ''), lingerClose + 1, 'missing');
  });

  it('script descriptors are the numbers the script names', () => {
    expectPass('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 7\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n+0 close(7) = 0\n+0 close(5) = 0\n+0 close(3) = -1 EBADF (Bad file descriptor)');
  });

  it('IP TTL is compared when a line gives it', () => {
    const f = join(SHARED_CONFORMANCE, 'freebsd-tcp-testsuite', 'socket-api', 'setsockopt', 'socket-api-setsockopt-ttl-passive-ipv4.pkt');
    const text = readFileSync(f, 'utf8');
    expectPass(text);
    const l = lineOf(text, '> (ttl 6) P.');
    expectFail(replaceLine(text, l, (x) => x.replace('(ttl 6)', '(ttl 5)')), l, 'mismatch', /ttl: expected 5, got 6/);
  });
});

describe('what the runner cannot do is reported, not skipped', () => {
  it('an unknown socket option, an unknown sysctl, IPv6', () => {
    const r1 = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5) = 0');
    expect(r1.failure).toMatchObject({ kind: 'unsupported', line: 2 });
    const r2 = run('0 `sysctl -w net.inet.tcp.mystery=1`');
    expect(r2.failure).toMatchObject({ kind: 'unsupported', line: 1, message: 'unsupported: sysctl net.inet.tcp.mystery' });
    const r3 = run('--ip_version=ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3');
    expect(r3.failure).toMatchObject({ kind: 'unsupported', line: 1 });
  });
});
