/**
 * A stand-in for the notification gateway that speaks CONTRACT.md over real HTTP: signed
 * requests, replay protection, registered-template checks, idempotent sending by requestId,
 * delivery status, and injectable faults. Instead of reaching a phone or a mailbox, every
 * accepted message lands once in an outbox that tests and developers can read. Development and
 * integration tests run against it; nothing in it is for production.
 *
 * Determinism: faults draw from a seeded PRNG, so a test sees the same behaviour on every run.
 *
 * This file wires the routes; the messages are in notify-sandbox.state.ts, the signature check
 * in notify-sandbox.signing.ts and the fault replies in notify-sandbox.faults.ts.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { sandboxListener } from '../sandbox-faults.kit.js';
import { sandboxRuntime, serveSandbox, type Sandbox, type SandboxOptions } from '../sandbox-server.kit.js';
import { NOTIFY_TIMESTAMP_TOLERANCE_MS } from './notify.signature.js';
import { notifyFaultHandling } from './notify-sandbox.faults.js';
import { notifyAuthenticator } from './notify-sandbox.signing.js';
import { createNotifyState, type OutboxEntry, type Reply } from './notify-sandbox.state.js';

export interface NotifySandboxOptions extends SandboxOptions {
  appId: string;
  secret: string;
  toleranceMs?: number;
  /** Numbers or addresses the gateway refuses with 20001 RECIPIENT_BLOCKED (退订 / 黑名单). */
  blockedRecipients?: readonly string[];
}

export interface NotifySandbox extends Sandbox {
  /** Every message accepted since the start or the last clearOutbox(), once each however often it was resent, oldest first. */
  outbox(): OutboxEntry[];
  /** Empties the outbox; the gateway still remembers the requestIds it accepted. */
  clearOutbox(): void;
}

type Endpoint = 'POST /v1/messages' | 'GET /v1/messages/{id}';

function matchRoute(method: string, pathname: string): { endpoint: Endpoint; messageId?: string } | null {
  if (method === 'POST' && pathname === '/v1/messages') return { endpoint: 'POST /v1/messages' };
  const one = /^\/v1\/messages\/([^/]+)$/.exec(pathname);
  if (method === 'GET' && one) return { endpoint: 'GET /v1/messages/{id}', messageId: decodeURIComponent(one[1]!) };
  return null;
}

export async function startNotifySandbox(opts: NotifySandboxOptions): Promise<NotifySandbox> {
  const now = opts.now ?? Date.now;
  const rt = sandboxRuntime(opts, 20230301);
  // Message ids differ between sandbox instances, so a long-lived worker never confuses two runs' messages.
  const state = createNotifyState({ ...opts, instance: String(randomInt(1000)).padStart(3, '0'), now });
  const authenticate = notifyAuthenticator({ ...opts, now, toleranceMs: opts.toleranceMs ?? NOTIFY_TIMESTAMP_TOLERANCE_MS });

  function route(req: IncomingMessage, raw: Buffer, matched: { endpoint: Endpoint; messageId?: string }): Reply {
    const refused = authenticate(req, raw);
    if (refused) return refused;
    if (matched.endpoint === 'POST /v1/messages') return state.sendMessage(raw);
    return state.messageStatus(matched.messageId!);
  }

  const listener = sandboxListener(rt, { ...notifyFaultHandling, match: matchRoute, route: (req, _url, raw, matched) => route(req, raw, matched) });
  return { ...(await serveSandbox(rt, listener, opts)), outbox: state.outbox, clearOutbox: state.clearOutbox };
}

// Re-exported so that importers keep the sandbox file as their one entry point.
export type { NotifySandboxFaults } from './notify-sandbox.faults.js';
export type { OutboxEntry } from './notify-sandbox.state.js';
