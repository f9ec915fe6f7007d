#!/usr/bin/env python3
# The Linux-side peer of the interop tests (hosttest/linux/interop.test.ts). Runs INSIDE the test's
# network namespace (`ip netns exec synstk-... python3 peer.py <mode> ...`) and only ever talks to
# addresses of that namespace. Every mode is bounded: a socket timeout, a packet count, and the
# test's own process timeout around it. Each mode prints one JSON line with what it saw.
#
#   sink   --listen A:P                      accept one connection, read to EOF: {bytes, sha256}
#   source --listen A:P --bytes N --seed S   accept one, send N seeded random bytes, FIN, wait EOF
#   close  --listen A:P --mode M             one connection closed a given way (test 7):
#            peer-first  read to EOF (synstack's FIN), then close          -> {event: "eof"}
#            linux-first send "bye", close at once, read to EOF            -> {event: "closed"}
#            expect-rst  read until the connection is reset                -> {event: "reset"}
#            linux-rst   send "bye", wait for one byte, close with SO_LINGER 0 (RST)  -> {event: "rst-sent"}
#   flood  --iface T --dmac M --dst A --dport P --count N --rate R --seed S
#            N TCP SYNs from random sources in 198.18.0.0/15 (RFC 2544 benchmarking space), raw
#            AF_PACKET frames on T (like scapy's sendp, faster): {sent, seconds}
#   rst    --iface T --dmac M --src A --sport P --dst A --dport P --seq N
#            one RST built and sent with scapy's sendp: {sent: 1}

import argparse
import hashlib
import json
import random
import socket
import struct
import sys
import time

TIMEOUT_S = 60


def listen(spec):
    host, port = spec.rsplit(':', 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(1)
    s.settimeout(TIMEOUT_S)
    print(json.dumps({'listening': spec}), flush=True)
    c, _ = s.accept()
    s.close()
    c.settimeout(TIMEOUT_S)
    return c


def read_to_eof(c, h=None):
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            return n
        n += len(b)
        if h is not None:
            h.update(b)


def sink(a):
    c = listen(a.listen)
    h = hashlib.sha256()
    n = read_to_eof(c, h)
    c.close()
    print(json.dumps({'bytes': n, 'sha256': h.hexdigest()}), flush=True)


def source(a):
    c = listen(a.listen)
    rng = random.Random(a.seed)
    h = hashlib.sha256()
    left = a.bytes
    while left > 0:
        chunk = rng.randbytes(min(left, 1 << 16))
        h.update(chunk)
        c.sendall(chunk)
        left -= len(chunk)
    c.shutdown(socket.SHUT_WR)
    read_to_eof(c)
    c.close()
    print(json.dumps({'bytes': a.bytes, 'sha256': h.hexdigest()}), flush=True)


def close_mode(a):
    c = listen(a.listen)
    if a.mode == 'peer-first':
        n = read_to_eof(c)
        c.close()
        print(json.dumps({'event': 'eof', 'bytes': n}), flush=True)
    elif a.mode == 'linux-first':
        c.sendall(b'bye')
        c.shutdown(socket.SHUT_WR)
        n = read_to_eof(c)
        c.close()
        print(json.dumps({'event': 'closed', 'bytes': n}), flush=True)
    elif a.mode == 'expect-rst':
        try:
            read_to_eof(c)
            print(json.dumps({'event': 'eof'}), flush=True)
        except ConnectionResetError:
            print(json.dumps({'event': 'reset'}), flush=True)
        c.close()
    elif a.mode == 'linux-rst':
        c.sendall(b'bye')
        c.recv(1)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        c.close()
        print(json.dumps({'event': 'rst-sent'}), flush=True)
    else:
        raise SystemExit('unknown mode')


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(':'))


def flood(a):
    rng = random.Random(a.seed)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    smac = s.getsockname()[4][:6]
    eth = mac_bytes(a.dmac) + smac + b'\x08\x00'
    dst = socket.inet_aton(a.dst)
    base = struct.unpack('!I', socket.inet_aton('198.18.0.0'))[0]
    mss = b'\x02\x04\x05\xb4'
    start = time.monotonic()
    batch = 100
    sent = 0
    while sent < a.count:
        for _ in range(min(batch, a.count - sent)):
            src = struct.pack('!I', base + rng.randrange(1, 1 << 17))  # 198.18.0.0/15
            sport = rng.randrange(1024, 65536)
            seq = rng.getrandbits(32)
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 44, rng.getrandbits(16), 0x4000, 64, 6, 0, src, dst)
            ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
            tcp = struct.pack('!HHIIBBHHH', sport, a.dport, seq, 0, 6 << 4, 0x02, 64240, 0, 0) + mss
            pseudo = src + dst + struct.pack('!BBH', 0, 6, len(tcp))
            tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
            s.send(eth + ip + tcp)
            sent += 1
        # Pace to the rate (bounded sleep per batch).
        ahead = sent / a.rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(min(ahead, 1.0))
    print(json.dumps({'sent': sent, 'seconds': round(time.monotonic() - start, 3)}), flush=True)


def rst(a):
    from scapy.all import Ether, IP, TCP, sendp, get_if_hwaddr
    p = Ether(src=get_if_hwaddr(a.iface), dst=a.dmac) / IP(src=a.src, dst=a.dst) / TCP(
        sport=a.sport, dport=a.dport, flags='R', seq=a.seq, window=0)
    sendp(p, iface=a.iface, verbose=False)
    print(json.dumps({'sent': 1}), flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    q = sub.add_parser('sink'); q.add_argument('--listen', required=True)
    q = sub.add_parser('source'); q.add_argument('--listen', required=True)
    q.add_argument('--bytes', type=int, required=True); q.add_argument('--seed', type=int, default=1)
    q = sub.add_parser('close'); q.add_argument('--listen', required=True); q.add_argument('--mode', required=True)
    q = sub.add_parser('flood')
    for k in ('iface', 'dmac', 'dst'):
        q.add_argument('--' + k, required=True)
    q.add_argument('--dport', type=int, required=True); q.add_argument('--count', type=int, required=True)
    q.add_argument('--rate', type=int, default=10000); q.add_argument('--seed', type=int, default=1)
    q = sub.add_parser('rst')
    for k in ('iface', 'dmac', 'src', 'dst'):
        q.add_argument('--' + k, required=True)
    for k in ('sport', 'dport', 'seq'):
        q.add_argument('--' + k, type=int, required=True)
    a = p.parse_args()
    if a.cmd == 'flood' and not (0 < a.count <= 1_000_000 and 0 < a.rate <= 1_000_000):
        raise SystemExit('flood: count and rate must be in 1..1000000')
    {'sink': sink, 'source': source, 'close': close_mode, 'flood': flood, 'rst': rst}[a.cmd](a)


if __name__ == '__main__':
    try:
        main()
    except socket.timeout:
        print(json.dumps({'error': 'timeout'}), flush=True)
        sys.exit(3)
