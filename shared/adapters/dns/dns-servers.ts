import { isIP } from 'node:net';
import { ConfigError } from '../../errors.js';

/**
 * Parse a comma-separated list of DNS servers (`ROTATOR_DNS_SERVERS`): `ip:port`, `[ipv6]:port`, or a bare IP for
 * port 53. Host names are refused: Node's Resolver only takes addresses. Returns entries in the form
 * `Resolver.setServers` takes; throws ConfigError naming every bad entry.
 */
export function parseDnsServers(raw: string, source = 'ROTATOR_DNS_SERVERS'): string[] {
  const entries = raw.split(',').map((e) => e.trim());
  const servers: string[] = [];
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const where = `${source}: entry ${i + 1} ${JSON.stringify(entry)}`;
    if (entry === '') {
      problems.push(`${where} is empty (expected ip:port, e.g. 127.0.0.1:8053)`);
      return;
    }
    const parsed = parseOne(entry);
    if (typeof parsed === 'string') problems.push(`${where}: ${parsed}`);
    else servers.push(parsed.family === 6 ? `[${parsed.ip}]:${parsed.port}` : `${parsed.ip}:${parsed.port}`);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return servers;
}

function parseOne(entry: string): { ip: string; port: number; family: 4 | 6 } | string {
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2];
  } else if (isIP(entry) === 6) {
    host = entry;
  } else {
    const colon = entry.lastIndexOf(':');
    host = colon === -1 ? entry : entry.slice(0, colon);
    portText = colon === -1 ? undefined : entry.slice(colon + 1);
  }
  const family = isIP(host);
  if (family === 0) return 'not an IP address (host names are not allowed; expected ip:port)';
  let port = 53;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return `port ${JSON.stringify(portText)} is not a number from 1 to 65535`;
    }
    port = Number(portText);
  }
  return { ip: host, port, family: family as 4 | 6 };
}
