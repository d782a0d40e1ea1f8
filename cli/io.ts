/** What a command touches outside itself, so tests can run `main` in-process and read what it wrote. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  /** `isTTY` and `columns` decide whether `run` shows progress there, and how wide its lines may be. */
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Where SIGINT and SIGTERM arrive: the process, or an emitter in a test. */
  signals: {
    once(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
    off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  };
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process };
}
