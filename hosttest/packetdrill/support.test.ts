// The pieces around the runner: exclusions, the sysctl / sockstat mapping, the `%{ }%` evaluator,
// the segment matcher with its profile, and option encoding.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCode } from './code';
import { constructs, excluded, globToRegExp, loadExclusions } from './exclusions';
import { type ExpectedTcp, flagsFromText, flagsToText, formatCaptured, matchTcp } from './match';
import { type Captured, decodeOptions, encodeOptions } from './net';
import { parseScript } from './parser';
import { strictProfile, synstackProfile } from './profile';
import { runScript } from './runner';
import { buildSettings } from './shell';
import { renderReport } from './report';
import { SHARED_CONFORMANCE, type ScriptOutcome, discover } from './suite';

describe('exclusions', () => {
  it('the checked-in rules load, each with a reason', () => {
    const ex = loadExclusions();
    expect(ex.rules.length).toBeGreaterThan(0);
    for (const r of ex.rules) expect(r.reason.length).toBeGreaterThan(20);
  });

  it('rejects rules without a reason or a match, and duplicate ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-ex-'));
    const write = (rules: unknown): string => {
      const f = join(dir, `${Math.random()}.json`);
      writeFileSync(f, JSON.stringify({ rules }));
      return f;
    };
    expect(() => loadExclusions(write([{ id: 'a', path: '*' }]))).toThrow(/reason/);
    expect(() => loadExclusions(write([{ id: 'a', reason: 'because' }]))).toThrow(/matches nothing/);
    expect(() => loadExclusions(write([{ id: 'a', path: 'x', reason: 'r' }, { id: 'a', path: 'y', reason: 'r' }]))).toThrow(/duplicate/);
  });

  it('globs: * stays in a path segment, ** crosses them', () => {
    expect(globToRegExp('a/*.pkt').test('a/b.pkt')).toBe(true);
    expect(globToRegExp('a/*.pkt').test('a/b/c.pkt')).toBe(false);
    expect(globToRegExp('**/c.pkt').test('a/b/c.pkt')).toBe(true);
    expect(globToRegExp('sockopt:TCP_RACK_*').test('sockopt:TCP_RACK_PACE_MAX_SEG')).toBe(true);
  });

  it('constructs come from the parsed script', () => {
    const s = parseScript([
      '--udp_encapsulation=tcp',
      '0 setsockopt(3, IPPROTO_TCP, TCP_MD5SIG, [1], 4) = 0',
      '+0 > (tos 0x20) SEW 0:0(0) win 1 <md5 valid>/udp(1 > 2)',
      '+0 `sysctl -w net.inet.tcp.ecn.enable=1`',
      '+0 recv(3, ..., 10, MSG_PEEK) = 1',
      '+0 %{ assert 1 }%',
    ].join('\n'), 'x.pkt');
    const t = constructs(s);
    for (const tag of ['option:udp_encapsulation', 'option:udp_encapsulation=tcp', 'sockopt:TCP_MD5SIG', 'syscall:setsockopt',
      'ip:tos', 'flag:E', 'flag:W', 'tcp-option:md5', 'udp-encapsulation', 'sysctl:net.inet.tcp.ecn.enable=1',
      'command:sysctl', 'flag:MSG_PEEK', 'code', 'tcp']) {
      expect(t.has(tag), tag).toBe(true);
    }
  });

  it('a rule matches by path, by construct, or by both', () => {
    const ex = {
      rules: [
        { id: 'both', path: 'x/**', construct: 'flag:E', reason: 'r1' },
        { id: 'path', path: '**/skip-me.pkt', reason: 'r2' },
        { id: 'construct', construct: 'sockopt:TCP_MD5*', reason: 'r3' },
      ],
    };
    const tags = new Set(['flag:E', 'sockopt:TCP_MD5SIG']);
    expect(excluded(ex, 'x/a.pkt', tags)?.rule.id).toBe('both');
    expect(excluded(ex, 'y/a.pkt', tags)).toMatchObject({ rule: { id: 'construct' }, tag: 'sockopt:TCP_MD5SIG' });
    expect(excluded(ex, 'y/skip-me.pkt', new Set())?.rule.id).toBe('path');
    expect(excluded(ex, 'y/a.pkt', new Set(['flag:W']))).toBeNull();
    // Without constructs (a script that does not parse) only path rules apply.
    expect(excluded(ex, 'x/a.pkt', null)).toBeNull();
  });
});

describe('sysctl and sockstat', () => {
  const run = (text: string) => runScript(parseScript(text, 't.pkt'));

  it('ring sizes are read before the stack is built; a later change is unsupported', () => {
    const s = parseScript('0 `sysctl -w net.inet.tcp.recvspace=16384`\n+0 `sysctl -w net.inet.tcp.sendspace=8192`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', 't');
    expect(buildSettings(s)).toEqual({ receiveBuffer: 16384, sendBuffer: 8192 });
    expect(run('0 `sysctl -w net.inet.tcp.recvspace=16384`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [16384], [4]) = 0').status).toBe('pass');
    const late = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sysctl -w net.inet.tcp.recvspace=16384`');
    expect(late.failure).toMatchObject({ kind: 'unsupported', line: 2 });
  });

  it('the SYN-cookie sysctls may ask for the SYN defence mode the stack was built in, not another', () => {
    // Built in the default mode, overflow: syncookies=1 and syncookies_only=0 ask for just that.
    expect(run('0 `sysctl -w net.inet.tcp.syncookies=1 net.inet.tcp.syncookies_only=0`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3').failure).toBeNull();
    const cookiesOnly = run('0 `sysctl -w net.inet.tcp.syncookies_only=1`');
    expect(cookiesOnly.failure).toMatchObject({ kind: 'unsupported', line: 1 });
    const cacheOnly = run('0 `sysctl -w net.inet.tcp.syncookies=0`');
    expect(cacheOnly.failure).toMatchObject({ kind: 'unsupported', line: 1 });
  });

  it('keepalive sysctls are what new sockets report', () => {
    const r = run([
      '0 `sysctl -w net.inet.tcp.keepidle=15000 net.inet.tcp.keepintvl=3000 net.inet.tcp.keepcnt=2 net.inet.tcp.keepinit=9000`',
      '+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
      '+0 getsockopt(3, IPPROTO_TCP, TCP_KEEPIDLE, [15], [4]) = 0',
      '+0 getsockopt(3, IPPROTO_TCP, TCP_KEEPINTVL, [3], [4]) = 0',
      '+0 getsockopt(3, IPPROTO_TCP, TCP_KEEPCNT, [2], [4]) = 0',
      '+0 getsockopt(3, IPPROTO_TCP, TCP_KEEPINIT, [9], [4]) = 0',
    ].join('\n'));
    expect(r.failure).toBeNull();
  });

  it('sockstat pipelines pass exactly when grep would exit 0', () => {
    const base = '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n';
    expect(run(base + '+0 `sockstat -4 -P tcp -p 8080 -s | grep -c LISTEN | grep 1`').status).toBe('pass');
    expect(run(base + '+0 `sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 0`').status).toBe('pass');
    // `grep 1` matches "1" in "10" too; here the count is 0, so it fails.
    const f = run(base + '+0 `sockstat -4 -P tcp -p 8080 -s | grep -c SYN_RCVD | grep 1`');
    expect(f.failure).toMatchObject({ kind: 'command', line: 4 });
    expect(f.failure!.detail.join('\n')).toMatch(/LISTEN/);
    // -p filters ports; the listener is on 8080.
    expect(run(base + '+0 `sockstat -4 -P tcp -p 9999 -s | grep -c LISTEN | grep 0`').status).toBe('pass');
    // SYN cache entries count as SYN_RCVD for their listener.
    const half = base + '+0 < S 0:0(0) win 1000 <mss 1460>\n+0 > S. 0:0(0) ack 1 <...>\n+0 `sockstat -4 -P tcp -s -p 8080 | grep -c SYN_RCVD | grep 1`';
    expect(run(half).status).toBe('pass');
  });

  it('other commands are unsupported', () => {
    expect(run('0 `tcpdrop -s TIME_WAIT`').failure).toMatchObject({ kind: 'unsupported', message: 'unsupported: shell command `tcpdrop`' });
  });
});

describe('%{ }% assertions', () => {
  it('evaluates comparisons, bit operations and logic over tcpi_* fields', () => {
    const info = { tcpi_state: 4, tcpi_options: 3 };
    expect(runCode('assert tcpi_state == TCPI_ESTABLISHED', info)).toBeNull();
    expect(runCode('assert tcpi_options == (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK)', info)).toBeNull();
    expect(runCode('assert tcpi_options & TCPI_OPT_WSCALE == 0 or tcpi_state != 4', info)).toBeNull(); // Python precedence: (3 & 4) == 0
    expect(runCode('assert tcpi_options & TCPI_OPT_WSCALE != 0 or tcpi_state != 4', info)).toMatch(/assertion failed/);
    expect(runCode('assert not tcpi_state == TCPI_CLOSED and 2 * 3 - 1 == 5\nassert 7 // 2 == 3', info)).toBeNull();
    expect(runCode('assert tcpi_state == TCPI_LISTEN', info)).toBe('assertion failed: tcpi_state == TCPI_LISTEN (tcpi_state=4)');
    expect(() => runCode('print(tcpi_state)', info)).toThrow(/only assert/);
    expect(() => runCode('assert tcpi_unknown == 1', info)).toThrow(/TCP_INFO field/);
  });
});

function captured(tcp: Partial<NonNullable<Captured['tcp']>>): Captured {
  return {
    time: 0, tag: 0, src: 1, dst: 2, ttl: 64, tos: 0, protocol: 6, icmp: null, datagram: new Uint8Array(0),
    tcp: { srcPort: 8080, dstPort: 4000, seq: 1000, ack: 1, flags: 0x10, win: 65535, urg: 0, options: [], optionBytes: 0, payload: new Uint8Array(0), ...tcp },
  };
}

const expected = (e: Partial<ExpectedTcp>): ExpectedTcp => ({
  flags: 0x10, seq: 1000, ack: 1, win: 65535, urg: 0, len: 0, options: [], srcPort: 8080, dstPort: 4000, ttl: null, tos: null, ...e,
});

describe('matching a segment', () => {
  it('flags, seq, ack, length, ports: always exact', () => {
    expect(matchTcp(expected({}), captured({}), synstackProfile).mismatches).toEqual([]);
    expect(matchTcp(expected({ flags: 0x18 }), captured({}), synstackProfile).mismatches).toEqual(['flags: expected P., got .']);
    expect(matchTcp(expected({ seq: 1001 }), captured({}), synstackProfile, 999).mismatches).toEqual(['seq: expected 2, got 1 (relative to ISS)']);
    expect(matchTcp(expected({ ack: 2 }), captured({}), synstackProfile).mismatches).toEqual(['ack: expected 2, got 1']);
    expect(matchTcp(expected({ len: 1 }), captured({}), synstackProfile).mismatches).toEqual(['length: expected 1, got 0']);
    expect(matchTcp(expected({ dstPort: 1 }), captured({}), synstackProfile).mismatches[0]).toMatch(/ports/);
    expect(matchTcp(expected({ seq: null }), captured({ seq: 5 }), synstackProfile).mismatches).toEqual([]);
  });

  it('window: relaxed to zero / non-zero, ignored in RSTs; exact under strict', () => {
    expect(matchTcp(expected({ win: 1000 }), captured({}), synstackProfile)).toEqual({ mismatches: [], relaxed: ['window'] });
    expect(matchTcp(expected({ win: 0 }), captured({}), synstackProfile).mismatches).toEqual(['window: expected 0, got 65535']);
    expect(matchTcp(expected({ flags: 0x04, win: 0 }), captured({ flags: 0x04 }), synstackProfile).relaxed).toEqual(['rst-window']);
    expect(matchTcp(expected({ win: 1000 }), captured({}), strictProfile).mismatches).toEqual(['window: expected 1000, got 65535']);
    expect(matchTcp(expected({ win: null }), captured({ win: 7 }), strictProfile).mismatches).toEqual([]);
  });

  it('options: order and padding relaxed, values and SACK blocks not', () => {
    const freebsd = [{ kind: 'mss', value: 1460 }, { kind: 'nop' }, { kind: 'wscale', value: 6 }, { kind: 'sackOK' }, { kind: 'ts', val: 100, ecr: 0, ecrAbsolute: false }] as const;
    const ours = [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'ts', val: 5000, ecr: 0, ecrAbsolute: false }, { kind: 'nop' }, { kind: 'wscale', value: 1 }] as const;
    const r = matchTcp(expected({ options: [...freebsd] }), captured({ options: [...ours] }), synstackProfile);
    expect(r.mismatches).toEqual([]);
    expect(r.relaxed.sort()).toEqual(['option-layout', 'wscale-value']);
    expect(matchTcp(expected({ options: [...freebsd] }), captured({ options: [...ours] }), strictProfile).mismatches[0]).toMatch(/^options: /);
    // A missing option, a different MSS, different SACK blocks: mismatches under any profile.
    expect(matchTcp(expected({ options: [...freebsd] }), captured({ options: ours.filter((o) => o.kind !== 'sackOK') }), synstackProfile).mismatches).toHaveLength(1);
    expect(matchTcp(expected({ options: [{ kind: 'mss', value: 536 }] }), captured({ options: [{ kind: 'mss', value: 1460 }] }), synstackProfile).mismatches).toHaveLength(1);
    expect(matchTcp(expected({ options: [{ kind: 'sack', blocks: [[1, 2]] }] }), captured({ options: [{ kind: 'sack', blocks: [[1, 3]] }] }), synstackProfile).mismatches).toHaveLength(1);
    // No options written: none may come. <...>: anything may.
    expect(matchTcp(expected({ options: [] }), captured({ options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'ts', val: 1, ecr: 2, ecrAbsolute: false }] }), synstackProfile).mismatches).toHaveLength(1);
    expect(matchTcp(expected({ options: 'any' }), captured({ options: [{ kind: 'mss', value: 1 }] }), strictProfile).mismatches).toEqual([]);
  });

  it('flags in script spelling, and captured segments printed relative to the ISS', () => {
    expect(flagsToText(flagsFromText('S.'))).toBe('S.');
    expect(flagsToText(flagsFromText('SEW'))).toBe('SEW');
    expect(flagsToText(flagsFromText('-'))).toBe('-');
    expect(flagsToText(flagsFromText('F.'))).toBe('F.');
    expect(formatCaptured(captured({ seq: 1001, payload: new Uint8Array(10), flags: 0x18 }), 1000)).toBe('P. 1:11(10) ack 1 win 65535');
  });

  it('options encode in the order written and decode back, padding included', () => {
    const list = [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'eol' }, { kind: 'eol' }] as const;
    const bytes = encodeOptions([...list]);
    expect([...bytes]).toEqual([2, 4, 5, 180, 4, 2, 0, 0]);
    expect(decodeOptions(bytes, 0, bytes.length)).toEqual(list);
    expect(encodeOptions([{ kind: 'wscale', value: 7 }]).length).toBe(4);
  });
});

describe('the report', () => {
  const outcome = (rel: string, status: 'pass' | 'fail'): ScriptOutcome => ({
    path: `/x/${rel}`, rel, group: rel.split('/')[0]!, subgroup: rel.split('/')[1] ?? '', status,
    reason: status === 'fail' ? 'line 3: boom' : '', relaxed: {}, warnings: [], trace: [],
    failure: status === 'fail' ? { line: 3, kind: 'missing', message: 'boom', detail: [] } : null,
  });

  it('prints why each failure fails, and counts the failures no rule explains', () => {
    const outcomes = [outcome('g/a/one.pkt', 'fail'), outcome('g/b/two.pkt', 'fail'), outcome('g/a/ok.pkt', 'pass')];
    const md = renderReport(outcomes, { profile: synstackProfile, defines: [], command: 'x', explanations: [{ match: 'g/a/', why: 'Because A.' }] });
    expect(md).toContain('**1 passed, 2 failed, 0 skipped**');
    expect(md).toMatch(/### g\/a\/one\.pkt\n\n\*\*Why:\*\* Because A\./);
    expect(md).toMatch(/### g\/b\/two\.pkt\n\n\*\*Why: not explained yet\.\*\*/);
    expect(md).toContain('**1 not explained yet**');
  });

  it('the checked-in explanations each match a script of the shared suite', () => {
    const rules = (JSON.parse(readFileSync(new URL('./explanations.json', import.meta.url), 'utf8')) as { rules: { match: string; why: string }[] }).rules;
    for (const r of rules) {
      expect(r.why.length).toBeGreaterThan(40);
      if (existsSync(SHARED_CONFORMANCE)) expect(discover([SHARED_CONFORMANCE]).some((f) => f.includes(r.match)), r.match).toBe(true);
    }
  });
});
