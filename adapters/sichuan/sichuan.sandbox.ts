/**
 * A stand-in 四川一体化 platform: a real HTTP server speaking CONTRACT.md, so the
 * client, the jobs and the benchmarks meet the envelope, the signatures, the nonce
 * and time checks, idempotent intake, status progression, signed pushes and — on
 * request — the failures of a real regional platform.
 *
 * This file wires the server; the records are in sichuan-sandbox.state.ts, the envelope
 * signatures in sichuan-sandbox.signing.ts, the webhooks in sichuan-sandbox.webhooks.ts and
 * the request pipeline with its faults in sichuan-sandbox.faults.ts.
 */
import { serveFaultControl } from '../sandbox-faults.route.js';
import { createSandboxRuntime, listen, sandboxRunTag, sendJsonReply } from '../sandbox.kit.js';
import type { SichuanEndpoint, WireCase } from './sichuan.contract.js';
import { serveSichuanRequest, zeroCounts, type SichuanSandboxFaults } from './sichuan-sandbox.faults.js';
import { sichuanEnvelopes } from './sichuan-sandbox.signing.js';
import { createSichuanState } from './sichuan-sandbox.state.js';
import { createSichuanWebhooks, type WebhookDelivery } from './sichuan-sandbox.webhooks.js';

export type { SichuanSandboxFaults } from './sichuan-sandbox.faults.js';
export type { WebhookDelivery } from './sichuan-sandbox.webhooks.js';

export interface SichuanSandboxOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  appId: string;
  appSecret: string;
  /** Where every stage change is pushed, signed. No pushes without it. */
  webhookUrl?: string;
  /** Interval at which every open case moves one stage; undefined or 0: only advance() moves them. */
  stepMs?: number;
  /** Cases of these items end 不予受理 with reasons instead of being accepted. */
  rejectItemCodes?: string[];
  faults?: SichuanSandboxFaults;
  /** Seed of the fault PRNG, so one seed replays one sequence of faults. */
  seed?: number;
  now?: () => number;
}

export interface SichuanSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  setFaults(faults: SichuanSandboxFaults): void;
  /**
   * Moves one case (or every open case) one stage now, and resolves once the pushes it
   * caused are delivered or given up — so a test needs no timers. Returns the cases moved.
   */
  advance(platformCaseId?: string): Promise<WireCase[]>;
  cases(): WireCase[];
  requestCounts(): Record<SichuanEndpoint, number>;
  resetCounts(): void;
  webhookDeliveries(): WebhookDelivery[];
}

export async function startSichuanSandbox(options: SichuanSandboxOptions): Promise<SichuanSandbox> {
  const now = options.now ?? Date.now;
  const rt = createSandboxRuntime(options.seed ?? 1, options.faults);
  const envelopes = sichuanEnvelopes({ ...options, now });
  const webhooks = createSichuanWebhooks({ webhookUrl: options.webhookUrl, signedWebhook: envelopes.signedWebhook }, rt);
  // Ids differ between sandbox runs, restarts included: a counter alone would give a new case an old case's id.
  const state = createSichuanState({ ...options, run: sandboxRunTag(), now, onEvent: webhooks.push });

  const server = await listen(
    (req, res) => {
      (async () => {
        if (await serveFaultControl(req, res, rt)) return;
        await serveSichuanRequest(req, res, rt, (endpoint, raw) => envelopes.answerRequest(endpoint, raw, state.answer));
      })().catch((error: unknown) => sendJsonReply(res, { status: 500, body: { error: String(error) } }));
    },
    { port: options.port, host: options.host ?? '127.0.0.1' },
  );

  const ticker =
    options.stepMs && options.stepMs > 0
      ? setInterval(() => {
          void state.advance();
        }, options.stepMs).unref()
      : undefined;

  return {
    url: server.url,
    port: server.port,
    async close() {
      if (rt.isClosed()) return;
      rt.close();
      clearInterval(ticker);
      // stop() destroys hung (timeout-fault) and keep-alive sockets, which would otherwise hold close() forever.
      await Promise.all([server.stop(), webhooks.close()]);
    },
    setFaults: rt.setFaults,
    advance: state.advance,
    cases: state.cases,
    requestCounts: () => ({ ...zeroCounts(), ...rt.requestCounts() }),
    resetCounts: rt.resetCounts,
    webhookDeliveries: webhooks.deliveries,
  };
}
