// The congestion module on its own: RFC 6928 initial window, slow start with appropriate byte
// counting, congestion avoidance, NewReno's loss response and Westwood+'s.

import { describe, expect, it } from 'vitest';
import { ccDupAck, ccInit, ccNewAck, ccTimeout, initialWindow } from '../../src/tcp/congestion';
import {
  Connection, type ConnectionOwner, BW_ESTIMATE, RTT_MIN, SRTT, SSTHRESH,
} from '../../src/tcp/connection';

function block(mss = 1000): Connection {
  const c = new Connection({} as ConnectionOwner, 0, 16, 16, 1);
  c.sndMss = mss;
  c.sndUna = 0;
  c.sndMax = 0;
  ccInit(c, 10);
  return c;
}

describe('congestion control', () => {
  it('uses the RFC 6928 initial window: min(10·MSS, max(2·MSS, 14600))', () => {
    expect(initialWindow(1460)).toBe(14600);
    expect(initialWindow(536)).toBe(5360);
    expect(initialWindow(9000)).toBe(18000);
    expect(initialWindow(1460, 4)).toBe(5840);
  });

  it('grows by at most 2·SMSS per ACK in slow start, and by one SMSS per window in avoidance', () => {
    const c = block();
    ccNewAck(c, 5000, 0);
    expect(c.cwnd).toBe(10_000 + 2000);
    c.v[SSTHRESH] = c.cwnd;
    for (let i = 0; i < 12; i++) ccNewAck(c, 1000, 0);
    expect(c.cwnd).toBe(13_000);
  });

  it('NewReno halves the flight on the third duplicate ACK and inflates for each further one', () => {
    const c = block();
    c.sndMax = 20_000;
    expect(ccDupAck(c, 'newreno', 0)).toBe(false);
    expect(ccDupAck(c, 'newreno', 0)).toBe(false);
    expect(ccDupAck(c, 'newreno', 0)).toBe(true);
    expect(c.v[SSTHRESH]).toBe(10_000);
    expect(c.cwnd).toBe(13_000);
    ccDupAck(c, 'newreno', 0);
    expect(c.cwnd).toBe(14_000);
  });

  it('Westwood+ sets ssthresh to the measured bandwidth × the minimum RTT', () => {
    const c = block();
    c.v[SRTT] = 100;
    c.v[RTT_MIN] = 100;
    // 500 bytes per ms delivered over 200 ms of ACKs.
    for (let t = 0; t <= 200; t += 10) ccNewAck(c, 5000, t);
    expect(c.v[BW_ESTIMATE]).toBeGreaterThan(450);
    c.sndMax = 100_000;
    c.sndUna = 0;
    for (let i = 0; i < 3; i++) ccDupAck(c, 'westwood', 300);
    expect(c.v[SSTHRESH]).toBeGreaterThan(45_000);
    expect(c.v[SSTHRESH]).toBeLessThan(55_000);
    ccTimeout(c, 'westwood');
    expect(c.cwnd).toBe(1000);
    expect(c.v[SSTHRESH]).toBeGreaterThan(45_000);
  });

  it('falls back to halving before any bandwidth sample exists', () => {
    const c = block();
    c.sndMax = 8000;
    ccTimeout(c, 'westwood');
    expect(c.v[SSTHRESH]).toBe(4000);
  });
});
