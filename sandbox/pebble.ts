/**
 * Throwaway ACME test CA for tests and local runs: Debian's `pebble` plus `pebble-challtestsrv` (the DNS server
 * Pebble's validator asks), each on free loopback ports, trusted through a CA generated per start.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const PEBBLE_BIN = '/usr/bin/pebble';
export const CHALLTESTSRV_BIN = '/usr/bin/pebble-challtestsrv';
const INSTALL_COMMAND = 'apt-get update && apt-get install -y pebble';

export interface PebbleOptions {
  /** Lifetime of issued leaves. Default 90 days, like public CAs (Pebble's own default is 5 years). */
  validityPeriodSeconds?: number;
  /** Makes EAB mandatory for every account on this instance. */
  eab?: { kid: string; hmacKey: string };
  /** `PEBBLE_WFE_NONCEREJECT`; Pebble's default is 5 (%). */
  nonceRejectPercent?: number;
  /** Parent directory for the per-start temp directory (default: the OS temp dir). */
  workDir?: string;
  /** Give up waiting for readiness after this long. Default 20 s. */
  readyTimeoutMs?: number;
  /**
   * Serve HTTPS with these files instead of generating a new CA: a second instance then needs no extra trust
   * (NODE_EXTRA_CA_CERTS is only read when Node starts). The files are not removed by stop().
   */
  tls?: PebbleTlsFiles;
}

export interface PebbleTlsFiles {
  caPath: string;
  certPath: string;
  keyPath: string;
}

export interface PebbleSandbox {
  /** ACME directory, `https://127.0.0.1:PORT/dir`. */
  directoryUrl: string;
  /** PEM of the throwaway CA that signed Pebble's HTTPS certificate: give it to Node via NODE_EXTRA_CA_CERTS. */
  tlsCaPath: string;
  /** Pebble's management API (HTTPS, same trust): `/roots/0`, `/intermediates/0`. */
  managementUrl: string;
  /** challtestsrv management API (plain HTTP): `/set-txt`, `/clear-txt`, ... */
  challtestsrvUrl: string;
  /** challtestsrv's DNS server, `127.0.0.1:PORT` (UDP and TCP). */
  dnsServer: string;
  /** Pebble's HTTPS files (a throwaway localhost/127.0.0.1 certificate), reusable through `options.tls`. */
  tls: PebbleTlsFiles;
  stop(): Promise<void>;
}

/** Throws (with the command to run) unless both binaries exist; installs them when running as root. */
export async function ensurePebbleInstalled(): Promise<void> {
  if (existsSync(PEBBLE_BIN) && existsSync(CHALLTESTSRV_BIN)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `pebble is not installed (${PEBBLE_BIN} or ${CHALLTESTSRV_BIN} missing). Install it with:\n  sudo sh -c '${INSTALL_COMMAND}'`,
    );
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', INSTALL_COMMAND], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`'${INSTALL_COMMAND}' failed with exit code ${code}`)),
    );
  });
  if (!existsSync(PEBBLE_BIN) || !existsSync(CHALLTESTSRV_BIN)) {
    throw new Error(`'${INSTALL_COMMAND}' succeeded but ${PEBBLE_BIN} or ${CHALLTESTSRV_BIN} is still missing`);
  }
}

export async function startPebble(options: PebbleOptions = {}): Promise<PebbleSandbox> {
  // A port picked by "listen on 0, close" can be taken by someone else before the server binds it: try again.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      lastError = err;
      if (!(err instanceof PortInUseError)) throw err;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

// Children run under `sh` with a watcher on the pipe to our process: when this process dies in any way (even
// SIGKILL) the pipe closes and the watcher stops the server, so nothing outlives the test run.
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'child=$!',
  '( read -r _ <&3; kill -TERM "$child" 2>/dev/null ) &',
  'watcher=$!',
  'wait "$child"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

interface Managed {
  name: string;
  proc: ChildProcess;
  logPath: string;
  exited: Promise<number | null>;
  exitCode: number | null | undefined;
}

const live = new Set<Managed>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const m of live) killGroup(m, 'SIGKILL');
  });
}

function killGroup(m: Managed, signal: NodeJS.Signals): void {
  if (m.proc.pid === undefined || m.exitCode !== undefined) return;
  try {
    process.kill(-m.proc.pid, signal);
  } catch {
    // already gone
  }
}

function launch(name: string, argv: string[], env: NodeJS.ProcessEnv, logPath: string): Managed {
  const log = openSync(logPath, 'a');
  const proc = spawn('sh', ['-c', WATCHDOG, name, ...argv], {
    stdio: ['pipe', log, log],
    env,
    detached: true,
  });
  proc.unref();
  // The pipe must not keep the event loop alive, but it must stay open until stop() or our death.
  (proc.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const m: Managed = { name, proc, logPath, exitCode: undefined, exited: Promise.resolve(null) };
  m.exited = new Promise((resolve) => {
    proc.on('exit', (code) => {
      m.exitCode = code;
      live.delete(m);
      resolve(code);
    });
    proc.on('error', () => {
      m.exitCode = null;
      live.delete(m);
      resolve(null);
    });
  });
  live.add(m);
  installExitHook();
  return m;
}

async function terminate(m: Managed, graceMs = 3000): Promise<void> {
  if (m.exitCode !== undefined) return;
  m.proc.stdin?.end();
  const timer = setTimeout(() => killGroup(m, 'SIGKILL'), graceMs);
  await m.exited;
  clearTimeout(timer);
  // The watcher subshell may linger for a moment after the server is gone.
  killGroup(m, 'SIGKILL');
}

function logTail(m: Managed, lines = 30): string {
  try {
    return readFileSync(m.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startOnce(options: PebbleOptions): Promise<PebbleSandbox> {
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'pebble-'));
  const started: Managed[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(started.map((m) => terminate(m)));
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const tls = options.tls ?? (await makeTlsMaterial(dir));
    const [acmePort, mgmtPort, challMgmtPort] = await freeTcpPorts(3);
    const dnsPort = await freeDnsPort();

    const chall = launch(
      'pebble-challtestsrv',
      [
        CHALLTESTSRV_BIN,
        '-management',
        `127.0.0.1:${challMgmtPort}`,
        '-dns01',
        `127.0.0.1:${dnsPort}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
      ],
      process.env,
      join(dir, 'challtestsrv.log'),
    );
    started.push(chall);

    const configPath = join(dir, 'pebble-config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${acmePort}`,
          managementListenAddress: `127.0.0.1:${mgmtPort}`,
          certificate: tls.certPath,
          privateKey: tls.keyPath,
          // Only used for http-01/tls-alpn-01 validation, which these tests never ask for.
          httpPort: 5002,
          tlsPort: 5001,
          ocspResponderURL: '',
          externalAccountBindingRequired: options.eab !== undefined,
          ...(options.eab ? { externalAccountMACKeys: { [options.eab.kid]: options.eab.hmacKey } } : {}),
          certificateValidityPeriod: options.validityPeriodSeconds ?? 7_776_000,
        },
      }),
      { mode: 0o600 },
    );
    const pebbleEnv: NodeJS.ProcessEnv = { ...process.env, PEBBLE_VA_NOSLEEP: '1' };
    if (options.nonceRejectPercent !== undefined) {
      pebbleEnv.PEBBLE_WFE_NONCEREJECT = String(options.nonceRejectPercent);
    }
    const pebble = launch(
      'pebble',
      [PEBBLE_BIN, '-config', configPath, '-dnsserver', `127.0.0.1:${dnsPort}`],
      pebbleEnv,
      join(dir, 'pebble.log'),
    );
    started.push(pebble);

    const ca = readFileSync(tls.caPath);
    const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
    await Promise.all([
      waitUntil(chall, deadline, () => httpAnswers(`http://127.0.0.1:${challMgmtPort}/`)),
      waitUntil(chall, deadline, () => dnsAnswers(`127.0.0.1:${dnsPort}`)),
      waitUntil(pebble, deadline, () => httpsAnswers(`https://127.0.0.1:${acmePort}/dir`, ca)),
      waitUntil(pebble, deadline, () => httpsAnswers(`https://127.0.0.1:${mgmtPort}/roots/0`, ca)),
    ]);

    return {
      directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
      tlsCaPath: tls.caPath,
      managementUrl: `https://127.0.0.1:${mgmtPort}`,
      challtestsrvUrl: `http://127.0.0.1:${challMgmtPort}`,
      dnsServer: `127.0.0.1:${dnsPort}`,
      tls,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitUntil(m: Managed, deadline: number, probe: () => Promise<boolean>): Promise<void> {
  let delay = 25;
  for (;;) {
    if (m.exitCode !== undefined) {
      const tail = logTail(m);
      if (/address already in use/i.test(tail)) throw new PortInUseError(`${m.name}: address already in use`);
      throw new Error(`${m.name} exited with code ${m.exitCode} before it was ready:\n${tail}`);
    }
    if (await probe()) return;
    if (Date.now() > deadline) {
      throw new Error(`${m.name} was not ready in time:\n${logTail(m)}`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

function httpAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function httpsAnswers(url: string, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { method: 'GET', ca, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function dnsAnswers(server: string): Promise<boolean> {
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([server]);
  try {
    await resolver.resolveTxt('readiness-probe.invalid');
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Any DNS answer, even "no such name", proves the server is up.
    return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'ESERVFAIL' || code === 'EREFUSED';
  }
}

async function freeTcpPorts(count: number): Promise<number[]> {
  // Hold all listeners open at once so the kernel cannot hand out the same port twice.
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected server address');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A port free for both TCP and UDP: challtestsrv serves DNS on both. */
async function freeDnsPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const [port] = await freeTcpPorts(1);
    if (port === undefined) continue;
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no loopback port free for both TCP and UDP');
}

async function makeTlsMaterial(dir: string): Promise<PebbleTlsFiles> {
  const caPath = join(dir, 'tls-ca.pem');
  const caKey = join(dir, 'tls-ca.key');
  const keyPath = join(dir, 'tls-server.key');
  const csrPath = join(dir, 'tls-server.csr');
  const certPath = join(dir, 'tls-server.pem');
  const extPath = join(dir, 'tls-server.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caPath,
    '-days',
    '7',
    '-subj',
    '/CN=slb-cert-rotator throwaway Pebble TLS CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(['req', ...ec, '-keyout', keyPath, '-out', csrPath, '-subj', '/CN=localhost']);
  await writeFile(
    extPath,
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    csrPath,
    '-CA',
    caPath,
    '-CAkey',
    caKey,
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    '7',
    '-extfile',
    extPath,
    '-out',
    certPath,
  ]);
  // Nothing else may ever sign with this CA.
  await rm(caKey, { force: true });
  return { caPath, certPath, keyPath };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (apt-get install -y openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? String(err)}`);
  }
}
