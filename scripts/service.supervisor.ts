import { spawn, type ChildProcess } from 'node:child_process';

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** A run that lasted this long was healthy: the next crash starts the backoff again from initialMs. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

export interface SupervisedService {
  readonly name: string;
  /** The running process, if any (none while waiting to restart). */
  readonly child: ChildProcess | undefined;
  readonly restarts: number;
  /** SIGTERM, then SIGKILL after graceMs; no restart follows. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Keeps one service process running, as a process manager does in production:
 * a crash is reported and the service started again after a backoff that
 * doubles while it keeps crashing, so a service that cannot start does not spin.
 */
export function supervise(options: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  backoff?: Backoff;
}): SupervisedService {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let child: ChildProcess | undefined;
  let restarts = 0;
  let failures = 0;
  let stopping = false;
  let pending: NodeJS.Timeout | undefined;

  const start = () => {
    const startedAt = Date.now();
    const current = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'inherit', 'inherit'] });
    child = current;
    current.on('exit', (code, signal) => {
      if (child === current) child = undefined;
      if (stopping) return;
      failures = Date.now() - startedAt >= backoff.resetAfterMs ? 0 : failures;
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** failures);
      failures += 1;
      restarts += 1;
      options.log(`tongban: ${options.name} exited (${signal ?? code}); restarting it in ${(delay / 1000).toFixed(1)} s (restart ${restarts})`);
      pending = setTimeout(start, delay);
    });
  };
  start();

  return {
    name: options.name,
    get child() {
      return child;
    },
    get restarts() {
      return restarts;
    },
    stop: (graceMs = 10_000) => {
      stopping = true;
      clearTimeout(pending);
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => running.kill('SIGKILL'), graceMs);
        running.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        running.kill('SIGTERM');
      });
    },
  };
}
