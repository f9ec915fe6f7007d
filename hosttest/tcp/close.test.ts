// Packet-level tests of every closing path (RFC 9293 §3.6): FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT,
// CLOSING, LAST-ACK and TIME-WAIT, with their timers, half-close, RFC 1337 and RFC 6191 reuse.

import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/tcp/connection';
import { established, establishedWith, readAll as read, recorder } from './setups';
import { PEER, US, pattern } from './peer';
import { RCV_SCALE } from '../../src/tcp/connection';


describe('FIN-WAIT-1', () => {
  it('close() sends FIN after the queued data and enters FIN-WAIT-1', () => {
    const { p, c, snd } = established();
    c.write(pattern(100));
    c.close();
    // The data left at write(); the FIN follows it.
    expect(p.take().map((x) => [x.flags, x.seq - snd, x.len])).toEqual([['PA', 0, 100], ['FA', 100, 0]]);
    expect(c.stateName).toBe('FIN-WAIT-1');
  });

  it('goes to FIN-WAIT-2 when the FIN is acknowledged', () => {
    const { p, c, snd } = established();
    c.shutdown();
    p.expect({ flags: 'FA', seq: snd });
    p.send({ flags: 'A', seq: 1001, ack: snd + 1 });
    p.expectNone();
    expect(c.stateName).toBe('FIN-WAIT-2');
  });

  it('takes an ACK of its first FIN that arrives after a timeout began resending the data', () => {
    const { p, c, snd } = established();
    expect(c.write(pattern(2000))).toBe(2000);
    c.shutdown();
    expect(p.take().map((x) => [x.flags, x.seq - snd, x.len])).toEqual([['A', 0, 1460], ['FPA', 1460, 540]]);
    p.advance(200);
    // The timeout resends one segment (cwnd is one segment now); the FIN waits behind the data.
    expect(p.take().map((x) => [x.flags, x.seq - snd, x.len])).toEqual([['A', 0, 1460]]);
    // Then the ACK of everything sent the first time, FIN included, arrives.
    p.send({ flags: 'A', seq: 1001, ack: snd + 2001 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    p.advance(10_000);
    p.expectNone(); // no second FIN at a sequence number past the first
  });

  it('goes to CLOSING on a FIN that does not acknowledge ours (simultaneous close)', () => {
    const { p, c, snd } = established();
    c.shutdown();
    p.take();
    p.send({ flags: 'FA', seq: 1001, ack: snd });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    expect(c.stateName).toBe('CLOSING');
  });

  it('goes straight to TIME-WAIT on a FIN that acknowledges ours', () => {
    const r = recorder();
    const { p, c, snd } = established({}, r.handler);
    c.shutdown();
    p.take();
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    expect(c.stateName).toBe('TIME-WAIT');
    expect(p.tcp.timeWait.count).toBe(1);
    expect(r.events).toEqual(['peer-closed', 'closed']);
  });

  it('with trimOldSegments (BSD), takes the ACK of an old duplicate, ACKs it and drops its data', () => {
    const r = recorder();
    const { p, c, snd } = established({ trimOldSegments: true }, r.handler);
    p.send({ flags: 'PA', seq: 1001, ack: snd, data: 10 });
    read(c);
    c.shutdown();
    p.take();
    // The 10 bytes again, now acknowledging our FIN: the ACK counts, the bytes are not delivered twice.
    p.send({ flags: 'PA', seq: 1001, ack: snd + 1, data: 10 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1011 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    expect(c.readable).toBe(0);
    expect(r.events.filter((e) => e.startsWith('readable'))).toEqual(['readable:10']);
  });

  it('retransmits an unacknowledged FIN on the RTO', () => {
    const { p, c, snd } = established();
    c.shutdown();
    p.expect({ flags: 'FA', seq: snd });
    p.advance(200);
    p.expect({ flags: 'FA', seq: snd });
    p.advance(400);
    p.expect({ flags: 'FA', seq: snd });
  });

  it('retransmits data and the FIN together after a loss', () => {
    const { p, c, snd } = established();
    c.write(pattern(10));
    c.shutdown();
    expect(p.take().map((x) => x.flags)).toEqual(['PA', 'FA']);
    p.advance(200);
    p.expect({ flags: 'FPA', seq: snd, len: 10 });
    p.send({ flags: 'A', seq: 1001, ack: snd + 5 });
    p.advance(400);
    p.expect({ flags: 'FPA', seq: snd + 5, len: 5 });
  });

  it('keeps receiving after shutdown() (half-close)', () => {
    const { p, c, snd } = established();
    c.shutdown();
    p.take();
    p.send({ flags: 'PA', seq: 1001, ack: snd + 1, data: pattern(30, 7) });
    p.advance(100);
    p.expect({ flags: 'A', ack: 1031 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    expect(read(c)).toEqual(pattern(30, 7));
  });
});

describe('FIN-WAIT-2', () => {
  function finWait2(closeFully: boolean) {
    const r = recorder();
    const e = established({}, r.handler);
    if (closeFully) e.c.close();
    else e.c.shutdown();
    e.p.take();
    e.p.send({ flags: 'A', seq: 1001, ack: e.snd + 1 });
    expect(e.c.stateName).toBe('FIN-WAIT-2');
    return { ...e, r };
  }

  it('enters TIME-WAIT on the peer\'s FIN and ACKs it', () => {
    const { p, c, snd } = finWait2(false);
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    expect(c.stateName).toBe('TIME-WAIT');
  });

  it('gives an orphaned connection 60 s for the peer\'s FIN, then resets it', () => {
    const { p, snd } = finWait2(true);
    p.advance(59_999);
    p.expectNone();
    p.advance(1);
    p.expect({ flags: 'R', seq: snd + 1 });
    expect(p.tcp.activeConnections).toBe(0);
    expect(p.tcp.counters.finWait2Timeouts).toBe(1);
  });

  it('waits as long as it takes while the application still reads (shutdown only)', () => {
    const { p, c, snd } = finWait2(false);
    p.advance(3_600_000);
    p.expectNone();
    expect(c.stateName).toBe('FIN-WAIT-2');
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1 });
    expect(c.stateName).toBe('TIME-WAIT');
  });
});

describe('CLOSE-WAIT', () => {
  function closeWait() {
    const r = recorder();
    const e = established({}, r.handler);
    e.p.send({ flags: 'PA', seq: 1001, ack: e.snd, data: pattern(20, 4) });
    e.p.send({ flags: 'FA', seq: 1021, ack: e.snd });
    e.p.take();
    return { ...e, r };
  }

  it('enters CLOSE-WAIT on FIN after the data, and the data stays readable', () => {
    const { c, r } = closeWait();
    expect(c.stateName).toBe('CLOSE-WAIT');
    expect(r.events).toEqual(['readable:20', 'peer-closed']);
    expect(read(c)).toEqual(pattern(20, 4));
  });

  it('does not count a FIN that arrives before missing data', () => {
    const { p, c, snd } = established();
    p.send({ flags: 'FA', seq: 1051, ack: snd });
    p.expect({ flags: 'A', ack: 1001 });
    expect(c.stateName).toBe('ESTABLISHED');
  });

  it('still sends: the peer closed only its own direction', () => {
    const { p, c, snd } = closeWait();
    expect(c.write(pattern(40))).toBe(40);
    p.expect({ flags: 'PA', seq: snd, len: 40, ack: 1022 });
  });

  it('re-ACKs a retransmitted FIN', () => {
    const { p, snd } = closeWait();
    p.send({ flags: 'FA', seq: 1021, ack: snd });
    p.expect({ flags: 'A', seq: snd, ack: 1022 });
  });

  it('close() sends FIN and enters LAST-ACK', () => {
    const { p, c, snd } = closeWait();
    read(c);
    c.close();
    p.expect({ flags: 'FA', seq: snd, ack: 1022 });
    expect(c.stateName).toBe('LAST-ACK');
  });
});

describe('LAST-ACK', () => {
  function lastAck(config = {}) {
    const r = recorder();
    const e = established(config, r.handler);
    e.p.send({ flags: 'FA', seq: 1001, ack: e.snd });
    e.c.shutdown();
    e.p.take();
    expect(e.c.stateName).toBe('LAST-ACK');
    return { ...e, r };
  }

  it('goes to CLOSED when its FIN is acknowledged, with no TIME-WAIT', () => {
    const { p, c, snd, r } = lastAck();
    p.send({ flags: 'A', seq: 1002, ack: snd + 1 });
    p.expectNone();
    expect(c.stateName).toBe('CLOSED');
    expect(p.tcp.timeWait.count).toBe(0);
    expect(r.events).toEqual(['peer-closed', 'closed']);
    c.close();
    expect(p.tcp.activeConnections).toBe(0);
  });

  it('ignores an ACK that does not cover its FIN, and retransmits the FIN', () => {
    const { p, c, snd } = lastAck();
    p.send({ flags: 'A', seq: 1002, ack: snd });
    expect(c.stateName).toBe('LAST-ACK');
    p.advance(200);
    p.expect({ flags: 'FA', seq: snd });
  });

  it('answers an old duplicate that acknowledges its FIN with an ACK and drops it (RFC 9293 §3.10.7.4)', () => {
    const { p, c, snd } = lastAck();
    // SEG.SEQ 1001 is the peer's FIN again: wholly before RCV.NXT (1002).
    p.send({ flags: 'A', seq: 1001, ack: snd + 1 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    expect(c.stateName).toBe('LAST-ACK');
    expect(p.tcp.counters.drops['out-of-window']).toBe(1);
  });

  it('with trimOldSegments (BSD), takes the ACK of an old duplicate and closes without a reply', () => {
    const { p, c, snd } = lastAck({ trimOldSegments: true });
    p.send({ flags: 'A', seq: 1001, ack: snd + 1 });
    p.expectNone();
    expect(c.stateName).toBe('CLOSED');
    expect(p.tcp.counters.oldSegments).toBe(1);
  });

  it('closes on an RST at RCV.NXT and reports "reset": its FIN was never acknowledged', () => {
    const { p, c, r } = lastAck();
    p.send({ flags: 'R', seq: 1002 });
    expect(c.stateName).toBe('CLOSED');
    expect(r.events).toEqual(['peer-closed', 'error:reset']);
  });
});

describe('CLOSING', () => {
  function closing(config = {}) {
    const e = established(config);
    e.c.shutdown();
    e.p.take();
    e.p.send({ flags: 'FA', seq: 1001, ack: e.snd });
    e.p.take();
    expect(e.c.stateName).toBe('CLOSING');
    return e;
  }

  it('goes to TIME-WAIT when its FIN is acknowledged', () => {
    const { p, c, snd } = closing();
    p.send({ flags: 'A', seq: 1002, ack: snd + 1 });
    p.expectNone();
    expect(c.stateName).toBe('TIME-WAIT');
  });

  it('retransmits its FIN while waiting', () => {
    const { p, snd } = closing();
    p.advance(200);
    p.expect({ flags: 'FA', seq: snd, ack: 1002 });
  });

  it('ACKs the FIN that brings it to CLOSING with a bare ACK, or with its FIN again (resendFinWithAck, BSD)', () => {
    for (const resendFinWithAck of [false, true]) {
      const { p, c, snd } = established({ resendFinWithAck });
      c.shutdown();
      p.expect({ flags: 'FA', seq: snd });
      p.send({ flags: 'FA', seq: 1001, ack: snd });
      p.expect(resendFinWithAck ? { flags: 'FA', seq: snd, ack: 1002 } : { flags: 'A', seq: snd + 1, ack: 1002 });
      expect(c.stateName).toBe('CLOSING');
      // A challenge ACK stays bare either way (RFC 5961 §4.2).
      p.send({ flags: 'S', seq: 5000 });
      p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    }
  });

  it('reports "reset" on an RST at RCV.NXT (its FIN is unacknowledged)', () => {
    const r = recorder();
    const e = established({}, r.handler);
    e.c.shutdown();
    e.p.take();
    e.p.send({ flags: 'FA', seq: 1001, ack: e.snd });
    e.p.take();
    e.p.send({ flags: 'R', seq: 1002 });
    expect(e.c.stateName).toBe('CLOSED');
    expect(r.events).toEqual(['peer-closed', 'error:reset']);
  });
});

describe('TIME-WAIT', () => {
  /** Active close completed: synstack is in TIME-WAIT, the application has closed the handle. */
  function timeWait(config = {}) {
    const e = established(config);
    e.c.close();
    e.p.take();
    e.p.send({ flags: 'FA', seq: 1001, ack: e.snd + 1 });
    e.p.expect({ flags: 'A', ack: 1002 });
    return e;
  }

  it('lasts 2 × MSL, then the tuple is forgotten', () => {
    const { p, snd } = timeWait();
    expect(p.tcp.activeConnections).toBe(0);
    expect(p.tcp.timeWait.count).toBe(1);
    p.advance(59_999);
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1 }); // restarts the timer (below); here just check it is still there
    expect(p.tcp.timeWait.count).toBe(1);
    p.take();
    p.advance(60_000);
    expect(p.tcp.timeWait.count).toBe(0);
    expect(p.iface.nextDeadline()).toBeGreaterThan(p.now + 1000);
  });

  it('uses the configured MSL', () => {
    const { p } = timeWait({ mslMs: 1000 });
    p.advance(1999);
    expect(p.tcp.timeWait.count).toBe(1);
    p.advance(1);
    expect(p.tcp.timeWait.count).toBe(0);
  });

  it('re-ACKs a retransmitted FIN and restarts the 2 MSL timer', () => {
    const { p, snd } = timeWait();
    p.advance(50_000);
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    p.advance(59_999);
    expect(p.tcp.timeWait.count).toBe(1);
    p.advance(1);
    expect(p.tcp.timeWait.count).toBe(0);
  });

  it('ignores an RST (RFC 1337: no TIME-WAIT assassination)', () => {
    const { p } = timeWait();
    p.send({ flags: 'R', seq: 1002 });
    p.send({ flags: 'RA', seq: 1002, ack: 5 });
    p.expectNone();
    expect(p.tcp.timeWait.count).toBe(1);
    expect(p.tcp.counters.drops['time-wait-rst']).toBe(2);
  });

  it('answers an old duplicate with an ACK, and stays silent for an ACK at RCV.NXT', () => {
    const { p, snd } = timeWait();
    p.send({ flags: 'PA', seq: 900, ack: snd, data: 10 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    p.send({ flags: 'A', seq: 1002, ack: snd + 1 });
    p.expectNone();
  });

  it('answers a SYN without timestamps with a challenge ACK, whatever its sequence number (RFC 9293 §3.10.7.4, RFC 5961 §4.2)', () => {
    const { p, snd } = timeWait({ challengeAcksPerSecond: 2 });
    for (const seq of [500, 1002, 50_000]) p.send({ flags: 'S', seq });
    expect(p.take().map((x) => [x.flags, x.seq - snd, x.ack])).toEqual([['A', 1, 1002], ['A', 1, 1002]]);
    expect(p.tcp.counters.drops['syn-challenged']).toBe(3);
    expect(p.tcp.counters.challengeAcksLimited).toBe(1);
    expect(p.tcp.timeWait.count).toBe(1);
  });

  it('lets a SYN with a higher sequence number reopen the tuple with timeWaitReopenBySequence (RFC 1122 §4.2.2.13, BSD)', () => {
    const { p, snd } = timeWait({ timeWaitReopenBySequence: true });
    p.send({ flags: 'S', seq: 500 }); // not above RCV.NXT: a challenge ACK
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    p.send({ flags: 'S', seq: 50_000 });
    p.expect({ flags: 'SA', ack: 50_001 });
    expect(p.tcp.timeWait.count).toBe(0);
    expect(p.tcp.counters.timeWaitReused).toBe(1);
  });

  it('lets a SYN whose timestamp is above TS.Recent reopen the tuple, whatever its sequence number (RFC 6191)', () => {
    const { p, c, snd, tsv } = establishedWith({ ts: true });
    c.close();
    p.take();
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1, ts: tsv() }); // TSval 102 becomes TS.Recent
    p.expect({ flags: 'A', ack: 1002 });
    expect(p.tcp.timeWait.count).toBe(1);
    p.send({ flags: 'S', seq: 700, ts: [102, 0] }); // not newer: a challenge ACK
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    p.send({ flags: 'S', seq: 700, ts: [103, 0] });
    p.expect({ flags: 'SA', ack: 701 });
    expect(p.tcp.counters.timeWaitReused).toBe(1);
  });

  it('in RFC 793 mode resets on a SYN in the window and ACKs one outside it', () => {
    const { p, snd } = timeWait({ rfc5961Syn: false });
    p.send({ flags: 'S', seq: 1001 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    expect(p.tcp.timeWait.count).toBe(1);
    p.send({ flags: 'S', seq: 1500 });
    p.expect({ flags: 'RA', seq: snd + 1, ack: 1002 });
    expect(p.tcp.timeWait.count).toBe(0);
  });

  it('judges the window of a scaled connection in bytes, not by the window field (RFC 7323 §2.3)', () => {
    // 2048-byte ring, our shift 2 (configured), the peer scales too: the field says ~512, RCV.WND ~2048.
    const { p, c, snd, tsv } = establishedWith({ ws: 0 }, { rfc5961Syn: false, windowScale: 2 });
    expect(c.v[RCV_SCALE]).toBe(2);
    c.close();
    p.take();
    p.send({ flags: 'FA', seq: 1001, ack: snd + 1, ts: tsv() });
    const last = p.expect({ flags: 'A', ack: 1002 });
    expect(last.win).toBeLessThan(1500);
    p.send({ flags: 'S', seq: 1002 + 1500 }); // beyond the field, inside the window: RFC 793 reset
    p.expect({ flags: 'RA', seq: snd + 1, ack: 1002 });
  });

  it('answers a SYN+FIN as a SYN even with dropSynFin, and never reopens on it', () => {
    const { p, snd } = timeWait({ dropSynFin: true, timeWaitReopenBySequence: true });
    p.send({ flags: 'SF', seq: 50_000 });
    p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
    expect(p.tcp.timeWait.count).toBe(1);
  });

  it('ACKs an unacceptable segment without ACK bit, unless timeWaitIgnoresNoAck (BSD)', () => {
    for (const timeWaitIgnoresNoAck of [false, true]) {
      const { p, snd } = timeWait({ timeWaitIgnoresNoAck });
      p.send({ flags: 'F', seq: 1001 }); // the FIN again, without ACK: before RCV.NXT
      if (timeWaitIgnoresNoAck) p.expectNone();
      else p.expect({ flags: 'A', seq: snd + 1, ack: 1002 });
      p.send({ flags: 'F', seq: 1002 }); // acceptable, no ACK bit: dropped either way
      p.expectNone();
    }
  });

  it('recycles the oldest entry when the table is full, and counts it', () => {
    const e = established({ timeWaitEntries: 2, connections: 4 });
    const { p, l } = e;
    const close = (c: Connection, port: number, snd: number) => {
      c.close();
      p.take();
      p.send({ flags: 'FA', seq: 1001, ack: snd + 1, srcPort: port });
      p.take();
    };
    close(e.c, 40000, e.snd);
    for (const port of [40001, 40002]) {
      p.now += 10;
      p.send({ flags: 'S', seq: 1000, srcPort: port });
      const sa = p.take()[0]!;
      p.send({ flags: 'A', seq: 1001, ack: sa.seq + 1, srcPort: port });
      close(l.accept()!, port, sa.seq + 1);
    }
    expect(p.tcp.timeWait.count).toBe(2);
    expect(p.tcp.counters.timeWaitRecycled).toBe(1);
    // The oldest (from port 40000) went; the two newest remain.
    expect(p.tcp.timeWait.find(US, 80, PEER, 40000)).toBe(-1);
    expect(p.tcp.timeWait.find(US, 80, PEER, 40001)).toBeGreaterThanOrEqual(0);
    expect(p.tcp.timeWait.find(US, 80, PEER, 40002)).toBeGreaterThanOrEqual(0);
  });

  it('keeps a block the application still holds readable through TIME-WAIT, then shows CLOSED', () => {
    const { p, c, snd } = established();
    c.shutdown();
    p.take();
    p.send({ flags: 'PA', seq: 1001, ack: snd + 1, data: pattern(10, 9) });
    p.send({ flags: 'FA', seq: 1011, ack: snd + 1 });
    p.take();
    expect(c.stateName).toBe('TIME-WAIT');
    expect(read(c)).toEqual(pattern(10, 9));
    p.advance(60_000);
    expect(c.stateName).toBe('CLOSED');
    c.close();
    expect(p.tcp.activeConnections).toBe(0);
  });
});

describe('TIME-WAIT: segments without ACK', () => {
  it('drops an in-window segment whose ACK bit is off, silently (RFC 9293 §3.10.7.4 fifth check)', () => {
    const e = established();
    e.c.close();
    e.p.take();
    e.p.send({ flags: 'FA', seq: 1001, ack: e.snd + 1 });
    e.p.take();
    e.p.send({ flags: 'F', seq: 1003 });
    e.p.expectNone();
    // An old one (left of the window) is still answered with an ACK.
    e.p.send({ flags: 'F', seq: 900 });
    e.p.expect({ flags: 'A', ack: 1002 });
  });
});
