import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/*
 * Every server under test and the load generator run in processes of their own, so
 * that no two of them share an event loop, a heap or a JIT: the numbers then belong
 * to one program each. They talk to the orchestrator over the IPC channel of fork().
 */

interface Request {
  id: number;
  type: string;
  payload: unknown;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

const READY = { ready: true } as const;

export interface ChildHandle {
  readonly pid: number;
  request<T>(type: string, payload?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to close and exit (a CPU profile is written only on a clean exit); kills it after the deadline. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface ChildOptions {
  /** Extra Node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

// Resolved once: `--import tsx` alone would be resolved from the working directory, not from this project.
const TSX_LOADER = import.meta.resolve('tsx');

export async function startChild(module: URL, options: ChildOptions = {}): Promise<ChildHandle> {
  const child = fork(fileURLToPath(module), [], {
    execArgv: [`--import=${TSX_LOADER}`, ...(options.nodeFlags ?? [])],
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      for (const waiter of pending.values()) waiter.reject(new Error(`${module.pathname} exited (${signal ?? code})`));
      pending.clear();
      resolve();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${module.pathname} did not start within ${options.startTimeoutMs ?? 60_000} ms`));
    }, options.startTimeoutMs ?? 60_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${module.pathname} exited during start (code ${code})`));
    };
    child.once('exit', onExit);
    child.on('message', function onReady(message) {
      if (!isReady(message)) return;
      clearTimeout(timer);
      child.off('message', onReady);
      child.off('exit', onExit);
      resolve();
    });
  });

  child.on('message', (message) => {
    const reply = message as Reply;
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new Error(reply.error));
  });

  const handle: ChildHandle = {
    pid: child.pid ?? -1,
    request<T>(type: string, payload?: unknown, timeoutMs = 60_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${module.pathname} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${type} to ${module.pathname} got no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ id, type, payload } satisfies Request);
      });
    },
    async stop(timeoutMs = 15_000) {
      if (exited) return;
      const killTimer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await handle.request('stop', undefined, timeoutMs).catch(() => child.kill('SIGKILL'));
      await exit;
      clearTimeout(killTimer);
    },
  };
  return handle;
}

export type Handlers = Record<string, (payload: never) => unknown>;

/**
 * The child's side: answers the orchestrator's requests. `stop` runs the given
 * closer, then exits; losing the parent also ends the child, so that no server
 * outlives an interrupted run.
 */
export function serveParent(handlers: Handlers, close: () => Promise<void>): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this module runs as a child of the benchmark (bench/run.ts)');
  process.on('disconnect', () => process.exit(1));
  process.on('message', async (message: Request) => {
    try {
      if (message.type === 'stop') {
        await close();
        send({ id: message.id, ok: true, value: null } satisfies Reply, () => process.exit(0));
        return;
      }
      const handler = handlers[message.type];
      if (!handler) throw new Error(`unknown request ${message.type}`);
      send({ id: message.id, ok: true, value: await handler(message.payload as never) } satisfies Reply);
    } catch (error) {
      send({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Reply);
    }
  });
  send(READY);
}

function isReady(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { ready?: unknown }).ready === true;
}
