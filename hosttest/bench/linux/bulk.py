#!/usr/bin/env python3
# The kernel's end of the `linux` benchmark's bulk transfers (hosttest/bench/linux.ts). Runs INSIDE
# a namespace the benchmark made (`ip netns exec sbl-... python3 bulk.py ...`) and talks only to
# addresses of that namespace. One connection, one direction, bounded by a byte count, a deadline
# and a socket timeout. The same program is both ends of the kernel <-> kernel run, so the two
# figures differ only in what is at the other end.
#
#   recv --listen A:P | --connect A:P [--hash]
#       read to EOF, then close:            {"role":"recv","bytes":N,"seconds":S,"cpu_s":C[,"sha256":H]}
#   send --listen A:P | --connect A:P --bytes N --seconds T [--seed S] [--hash]
#       send N bytes (fewer if T seconds pass first), FIN, read to EOF: the same JSON, role "send"
#   frames --iface I --dmac M --count N --seconds T
#       raw 1514-byte Ethernet frames (EtherType 0x88B5, IEEE local experimental, so no protocol
#       takes them) on I as fast as a send loop goes: {"role":"frames","sent":N,"seconds":S}
#
# `seconds` runs from the connection being established (accept or connect returned) to EOF for
# the receiver, to the last byte handed to the kernel for the sender. The sender's content is a
# seeded 1 MiB block repeated; --hash makes either end SHA-256 what it moved (off in timed runs:
# hashing would cost more than the kernel's TCP does). "listening" is printed once bound.

import argparse
import hashlib
import json
import os
import random
import resource
import socket
import time

TIMEOUT_S = 30
CHUNK = 1 << 18
BLOCK = 1 << 20


def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def connection(a):
    if a.listen:
        host, port = a.listen.rsplit(':', 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(1)
        s.settimeout(TIMEOUT_S)
        print(json.dumps({'listening': a.listen}), flush=True)
        c, _ = s.accept()
        s.close()
    else:
        host, port = a.connect.rsplit(':', 1)
        c = socket.create_connection((host, int(port)), timeout=TIMEOUT_S)
    c.settimeout(TIMEOUT_S)
    return c


def drain(c, h):
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    n = 0
    while True:
        k = c.recv_into(buf)
        if k == 0:
            return n
        n += k
        if h is not None:
            h.update(view[:k])


def report(role, n, seconds, cpu0, h):
    out = {'role': role, 'bytes': n, 'seconds': seconds, 'cpu_s': round(cpu_s() - cpu0, 4)}
    if h is not None:
        out['sha256'] = h.hexdigest()
    print(json.dumps(out), flush=True)


def recv(a):
    c = connection(a)
    cpu0 = cpu_s()
    t0 = time.monotonic()
    h = hashlib.sha256() if a.hash else None
    n = drain(c, h)
    seconds = time.monotonic() - t0
    c.close()
    report('recv', n, seconds, cpu0, h)


def send(a):
    block = memoryview(random.Random(a.seed).randbytes(BLOCK))
    c = connection(a)
    cpu0 = cpu_s()
    t0 = time.monotonic()
    deadline = t0 + a.seconds
    h = hashlib.sha256() if a.hash else None
    sent = 0
    while sent < a.bytes and time.monotonic() < deadline:
        off = sent % BLOCK
        k = c.send(block[off:off + min(CHUNK, BLOCK - off, a.bytes - sent)])
        if h is not None:
            h.update(block[off:off + k])
        sent += k
    seconds = time.monotonic() - t0
    c.shutdown(socket.SHUT_WR)
    drain(c, None)
    c.close()
    report('send', sent, seconds, cpu0, h)


def frames(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    smac = s.getsockname()[4][:6]
    dmac = bytes(int(x, 16) for x in a.dmac.split(':'))
    frame = dmac + smac + b'\x88\xb5' + os.urandom(1500)
    cpu0 = cpu_s()
    t0 = time.monotonic()
    deadline = t0 + a.seconds
    sent = 0
    while sent < a.count and time.monotonic() < deadline:
        for _ in range(min(256, a.count - sent)):
            try:
                s.send(frame)
                sent += 1
            except BlockingIOError:  # the device queue is full: drop, as a busy NIC would
                pass
    seconds = time.monotonic() - t0
    print(json.dumps({'role': 'frames', 'sent': sent, 'seconds': seconds, 'cpu_s': round(cpu_s() - cpu0, 4)}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('role', choices=['recv', 'send', 'frames'])
    p.add_argument('--listen')
    p.add_argument('--connect')
    p.add_argument('--bytes', type=int, default=0)
    p.add_argument('--seconds', type=float, default=10.0)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--hash', action='store_true')
    p.add_argument('--iface')
    p.add_argument('--dmac')
    p.add_argument('--count', type=int, default=0)
    a = p.parse_args()
    if a.role == 'frames':
        frames(a)
    elif (a.listen is None) == (a.connect is None):
        raise SystemExit('give exactly one of --listen and --connect')
    elif a.role == 'recv':
        recv(a)
    else:
        send(a)


if __name__ == '__main__':
    main()
