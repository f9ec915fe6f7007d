// The firmware's settings, read from the manifest's `config` (the `mc/config` module). mcconfig
// merges `key=value` arguments of its command line into that object as strings, so every number
// here may arrive as a string; keys are flat so they can be given that way:
//
//   mcconfig -d -m -p esp32 ssid="lab" password="secret" address=192.168.50.20 gateway=192.168.50.1
//
// Wi-Fi credentials fall back to the Preference domain "synstack" (keys "ssid", "password") when
// the build has none, so a board can be provisioned without rebuilding. Portable: no Moddable
// modules; main.ts passes the config object and a preference reader.

import type { LogLevel } from '../src/platform';
import type { SynDefenceMode } from '../src/tcp/syndefence';
import { parseIpv4Address } from '../src/wire/ipv4';

export interface FirmwareSettings {
  /** Wi-Fi station credentials (ignored by Ethernet builds). */
  ssid: string;
  password: string;
  /** Static address, or null for DHCP. */
  address: string | null;
  prefixLength: number;
  gateway: string | null;
  /** DHCP option 12. */
  hostname: string;
  /** Port of the status server. */
  port: number;
  /** TCP connection blocks and the size of each one's send and receive ring. */
  connections: number;
  buffer: number;
  /** The SYN cache: entries, hash buckets, per-bucket limit, and the defence mode. */
  synCache: number;
  synBuckets: number;
  synBucketLimit: number;
  synMode: SynDefenceMode;
  /** Accept-queue limit of the status server's listener. */
  backlog: number;
  /** Status-server connections served at once, and the request-head buffer of each. */
  httpConnections: number;
  httpRequestBuffer: number;
  /** Lowest level traced to xsbug ('off' for none), and the most lines per second. */
  trace: LogLevel | 'off';
  traceRate: number;
}

export const DEFAULT_SETTINGS: Readonly<FirmwareSettings> = Object.freeze({
  ssid: '',
  password: '',
  address: null,
  prefixLength: 24,
  gateway: null,
  hostname: 'synstack',
  port: 80,
  connections: 8,
  buffer: 2048,
  synCache: 128,
  synBuckets: 32,
  synBucketLimit: 8,
  synMode: 'overflow',
  backlog: 4,
  httpConnections: 2,
  httpRequestBuffer: 512,
  trace: 'info',
  traceRate: 20,
});

const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'off'];
const MODES: readonly string[] = ['cache', 'overflow', 'cookies'];

export class SettingsError extends Error {}

function text(config: Record<string, unknown>, key: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new SettingsError(`config.${key}: expected a string, got ${typeof v}`);
}

function integer(config: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const raw = config[key];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SettingsError(`config.${key}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

function address(value: string | undefined, key: string): string | null {
  if (value === undefined || value === '' || value === 'dhcp') return null;
  if (parseIpv4Address(value) < 0) throw new SettingsError(`config.${key}: not a dotted-quad IPv4 address: ${JSON.stringify(value)}`);
  return value;
}

/**
 * Settings from `config` (the mc/config object); `preference(key)` reads the Preference domain
 * "synstack" for Wi-Fi credentials missing from config. Throws SettingsError with the key at fault.
 */
export function parseSettings(config: Record<string, unknown>, preference?: (key: string) => unknown): FirmwareSettings {
  const d = DEFAULT_SETTINGS;
  const pref = (key: string): string | undefined => {
    const v = preference?.(key);
    return typeof v === 'string' ? v : undefined;
  };
  const ssid = text(config, 'ssid') || pref('ssid') || '';
  const password = text(config, 'password') || pref('password') || '';
  const trace = text(config, 'trace') ?? d.trace;
  if (!LEVELS.includes(trace)) throw new SettingsError(`config.trace: one of ${LEVELS.join(', ')}, got ${JSON.stringify(trace)}`);
  const synMode = text(config, 'synMode') ?? d.synMode;
  if (!MODES.includes(synMode)) throw new SettingsError(`config.synMode: one of ${MODES.join(', ')}, got ${JSON.stringify(synMode)}`);
  const hostname = text(config, 'hostname') ?? d.hostname;
  if (hostname.length > 63 || !/^[\x21-\x7e]*$/.test(hostname)) throw new SettingsError('config.hostname: at most 63 printable ASCII characters');
  const synBuckets = integer(config, 'synBuckets', d.synBuckets, 1, 4096);
  if ((synBuckets & (synBuckets - 1)) !== 0) throw new SettingsError(`config.synBuckets: a power of two, got ${synBuckets}`);
  const settings: FirmwareSettings = {
    ssid,
    password,
    address: address(text(config, 'address'), 'address'),
    prefixLength: integer(config, 'prefix', d.prefixLength, 1, 32),
    gateway: address(text(config, 'gateway'), 'gateway'),
    hostname,
    port: integer(config, 'port', d.port, 1, 65535),
    connections: integer(config, 'connections', d.connections, 1, 64),
    buffer: integer(config, 'buffer', d.buffer, 536, 65535),
    synCache: integer(config, 'synCache', d.synCache, 0, 4096),
    synBuckets,
    synBucketLimit: integer(config, 'synBucketLimit', d.synBucketLimit, 1, 64),
    synMode: synMode as SynDefenceMode,
    backlog: integer(config, 'backlog', d.backlog, 1, 64),
    httpConnections: integer(config, 'httpConnections', d.httpConnections, 1, 64),
    httpRequestBuffer: integer(config, 'httpRequestBuffer', d.httpRequestBuffer, 64, 8192),
    trace: trace as LogLevel | 'off',
    traceRate: integer(config, 'traceRate', d.traceRate, 1, 10_000),
  };
  if (settings.gateway !== null && settings.address === null) throw new SettingsError('config.gateway: only with a static address');
  return settings;
}
