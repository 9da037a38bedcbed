/**
 * What every sandbox is besides its platform: a server on loopback (or `host`) with its
 * runtime — faults to set, requests counted — and a close() that stops it once, however often
 * it is called, and waits for what the sandbox still has in flight.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import type { RequestListener } from 'node:http';
import { createSandboxRuntime, listen, type SandboxFaults, type SandboxRuntime } from './sandbox.kit.js';

/** The options every sandbox takes. */
export interface SandboxOptions {
  /** 0 or absent: any free port. */
  port?: number;
  host?: string;
  faults?: SandboxFaults;
  /** Seed of the fault PRNG, so one seed replays one sequence of faults. */
  seed?: number;
  now?: () => number;
}

export interface Sandbox {
  url: string;
  port: number;
  /** Resolves even while requests hang on a timeout fault: their sockets are destroyed. */
  close(): Promise<void>;
  setFaults(faults: SandboxFaults): void;
  /** Requests received per endpoint (e.g. `POST /v1/messages`), faulted ones included. */
  requestCounts(): Record<string, number>;
  resetCounts(): void;
}

export function sandboxRuntime(opts: SandboxOptions, defaultSeed: number): SandboxRuntime {
  return createSandboxRuntime(opts.seed ?? defaultSeed, opts.faults);
}

/**
 * Listens with `listener`. close() marks the runtime closed, calls `onClose` (stop timers,
 * abort pushes), stops the server and then waits for what `onClose` returned.
 */
export async function serveSandbox(
  rt: SandboxRuntime,
  listener: RequestListener,
  opts: Pick<SandboxOptions, 'port' | 'host'>,
  onClose: () => Promise<void> | void = () => undefined,
): Promise<Sandbox> {
  const server = await listen(listener, { port: opts.port, host: opts.host ?? '127.0.0.1' });
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    close() {
      closing ??= (async () => {
        rt.close();
        const drained = onClose();
        await server.stop();
        await drained;
      })();
      return closing;
    },
    setFaults: rt.setFaults,
    requestCounts: rt.requestCounts,
    resetCounts: rt.resetCounts,
  };
}
