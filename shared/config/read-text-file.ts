import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Reads a file named by the operator (the configuration, a secret) without trusting what the path points at. Opening
 * with O_NONBLOCK means a FIFO with no writer cannot hang start-up; the fstat of the opened descriptor (not a stat of
 * the path, which could change in between) refuses directories, FIFOs, sockets and devices such as /dev/zero; and at
 * most `maxBytes + 1` bytes are ever read, so a huge or growing file is refused instead of filling memory.
 *
 * Problems are short phrases about the file, never its content: the caller prefixes the field and the path.
 */
export type TextFileResult = { text: string } | { problem: string };

export async function readTextFile(path: string, maxBytes: number): Promise<TextFileResult> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return { problem: `cannot be read (${errorCode(err)})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { problem: `is ${describeKind(stat)}, not a regular file` };
    if (stat.size > maxBytes) return { problem: `is ${stat.size} bytes; the limit is ${formatBytes(maxBytes)}` };
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    // The file grew after the fstat: still refused, and still without reading past the limit.
    if (length > maxBytes) return { problem: `is larger than the limit of ${formatBytes(maxBytes)}` };
    return decodeText(buffer.subarray(0, length));
  } catch (err) {
    return { problem: `cannot be read (${errorCode(err)})` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** UTF-8 text without NUL bytes; anything else (a DER key, an image, a binary) is refused by what it is, not shown. */
export function decodeText(bytes: Uint8Array): TextFileResult {
  if (bytes.includes(0)) return { problem: 'is binary (contains NUL bytes), not text' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { problem: 'is not UTF-8 text' };
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function describeKind(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}
