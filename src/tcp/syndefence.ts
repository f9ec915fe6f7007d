// Configuration and visibility of the SYN defence (the SYN cache in syncache.ts and the cookie
// engine in syncookie.ts). Kept apart so the Tcp layer, the API and the tests share one vocabulary.

/**
 * - `cache`: half-open connections only in the SYN cache; a full bucket or cache evicts its oldest.
 * - `overflow` (default): the cache, and SYN cookies when a bucket or the cache is full, a source
 *   prefix is over its quota, or free connection blocks fall under the watermark; once cookies
 *   start, they continue until `hysteresisMs` pass with no overflow.
 * - `cookies`: stateless SYN cookies only.
 */
export type SynDefenceMode = 'cache' | 'overflow' | 'cookies';

/** What to do with a completed handshake when the listener's accept queue is full. */
export type AcceptOverflow = 'drop' | 'reset';

/** Read when the stack is made (`new Tcp`): the tables are sized, and the SYN path set up, from it. */
export interface SynDefenceConfig {
  mode: SynDefenceMode;
  /** Entries in the SYN cache (all listeners together). */
  entries: number;
  /** Hash buckets; a power of two. */
  buckets: number;
  /** Entries one bucket may hold before its oldest is evicted (or a cookie is sent). */
  bucketLimit: number;
  /** SYN-ACK retransmissions for a cached entry before it expires (initial RTO 1 s, doubling). */
  synAckRetries: number;
  /** Cookie secrets rotate this often; a cookie is valid for one to two periods. */
  cookiePeriodMs: number;
  /** In overflow mode, stay on cookies this long after the last overflow. */
  hysteresisMs: number;
  /** Source prefix length for the per-source quota (24: one /24 counts as one source). */
  quotaPrefixLength: number;
  /** Share of the cache one prefix may hold; beyond it the prefix gets cookies (or, in cache mode, is refused). */
  quotaShare: number;
  /** Use cookies when fewer connection blocks than this are free (overflow mode). */
  freeBlocksWatermark: number;
  acceptOverflow: AcceptOverflow;
  /** Recent cookie handshakes remembered to retransmit their SYN-ACK (0 turns it off). */
  cookieRing: number;
  /** SYN-ACK retransmissions for a remembered cookie handshake. */
  cookieRetries: number;
  /** Window over which distinct sources and the attack signal are judged. */
  windowMs: number;
}

export const defaultSynDefenceConfig: SynDefenceConfig = Object.freeze({
  mode: 'overflow',
  entries: 128,
  buckets: 32,
  bucketLimit: 8,
  synAckRetries: 3,
  cookiePeriodMs: 15_000,
  hysteresisMs: 10_000,
  quotaPrefixLength: 24,
  quotaShare: 0.25,
  freeBlocksWatermark: 1,
  acceptOverflow: 'drop',
  cookieRing: 16,
  cookieRetries: 2,
  windowMs: 10_000,
});

export interface SynDefenceCounters {
  synsReceived: number;
  synAcksSent: number;
  synAcksRetransmitted: number;
  duplicateSyns: number;
  cacheInserts: number;
  /** Final ACKs that matched a cache entry. */
  cacheHits: number;
  evictions: number;
  expiries: number;
  /** Entries removed by an RST or an ICMP error for their tuple. */
  resetsRemoved: number;
  icmpRemoved: number;
  cookiesSent: number;
  cookiesAccepted: number;
  cookiesRejected: number;
  acceptQueueOverflows: number;
  quotaHits: number;
  /** Handshakes that completed but found no free connection block. */
  noBlock: number;
}

export function newSynDefenceCounters(): SynDefenceCounters {
  return {
    synsReceived: 0, synAcksSent: 0, synAcksRetransmitted: 0, duplicateSyns: 0, cacheInserts: 0,
    cacheHits: 0, evictions: 0, expiries: 0, resetsRemoved: 0, icmpRemoved: 0, cookiesSent: 0,
    cookiesAccepted: 0, cookiesRejected: 0, acceptQueueOverflows: 0, quotaHits: 0, noBlock: 0,
  };
}

/** A snapshot for the application (per stack; listeners keep their own `stats`). */
export interface SynDefenceStatus {
  mode: SynDefenceMode;
  /** Cookies are being sent now (always in `cookies` mode). */
  cookieMode: boolean;
  halfOpen: number;
  capacity: number;
  distinctSources: number;
  underAttack: boolean;
  /** When the current (or last) attack began, ms on the stack's clock; -1 never. */
  attackStartedAt: number;
  counters: Readonly<SynDefenceCounters>;
}
