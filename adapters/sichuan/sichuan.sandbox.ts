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
import type { RequestListener } from 'node:http';
import { serveFaultControl } from '../sandbox-faults.route.js';
import type { CertificatePdfOptions } from '../certificate.pdf.js';
import { createSandboxFileStore } from '../sandbox-files.kit.js';
import { sandboxRuntime, serveSandbox, type Sandbox, type SandboxOptions } from '../sandbox-server.kit.js';
import { sandboxRunTag, sendJsonReply } from '../sandbox.kit.js';
import type { SichuanEndpoint, WireCase } from './sichuan.contract.js';
import { serveSichuanRequest, zeroCounts } from './sichuan-sandbox.faults.js';
import { serveSichuanFiles, sichuanCertificate } from './sichuan-sandbox.files.js';
import { sichuanEnvelopes } from './sichuan-sandbox.signing.js';
import { createSichuanState, type SandboxFileView } from './sichuan-sandbox.state.js';
import { createSichuanWebhooks, type WebhookDelivery } from './sichuan-sandbox.webhooks.js';
import type { SICHUAN_FILE_ENDPOINTS } from './sichuan-files.contract.js';

export interface SichuanSandboxOptions extends SandboxOptions {
  appId: string;
  appSecret: string;
  /** Where every stage change is pushed, signed. No pushes without it. */
  webhookUrl?: string;
  /** Interval at which every open case moves one stage; undefined or 0: only advance() moves them. */
  stepMs?: number;
  /** Cases of these items end 不予受理 with reasons instead of being accepted. */
  rejectItemCodes?: string[];
  /** Where received files are kept; default a temporary directory removed on close. */
  filesDir?: string;
  /** The verify page's origin and the CJK font of the certificates' PDFs (default SANDBOX_CERTIFICATE_RENDERING). */
  certificateRendering?: CertificatePdfOptions;
}

export interface SichuanSandbox extends Sandbox {
  /**
   * Moves one case (or every open case) one stage now, and resolves once the pushes it
   * caused are delivered or given up — so a test needs no timers. Returns the cases moved.
   */
  advance(platformCaseId?: string): Promise<WireCase[]>;
  cases(): WireCase[];
  /** Requests per endpoint, the file endpoints once a file was sent or asked for. */
  requestCounts(): Record<SichuanEndpoint, number> & Partial<Record<(typeof SICHUAN_FILE_ENDPOINTS)[keyof typeof SICHUAN_FILE_ENDPOINTS], number>>;
  webhookDeliveries(): WebhookDelivery[];
  /** The files held: uploads and the certificates' PDFs. */
  files(): SandboxFileView[];
  /** Resolves when every certificate PDF issued so far is on disk. */
  filesSettled(): Promise<void>;
  /** Marks the certificate revoked and resolves with the case once its signed revocation push settled. */
  revokeCertificate(number: string, reason: string): Promise<WireCase>;
}

export async function startSichuanSandbox(options: SichuanSandboxOptions): Promise<SichuanSandbox> {
  const now = options.now ?? Date.now;
  const rt = sandboxRuntime(options, 1);
  const envelopes = sichuanEnvelopes({ ...options, now });
  const webhooks = createSichuanWebhooks({ webhookUrl: options.webhookUrl, signedWebhook: envelopes.signedWebhook }, rt);
  // Ids differ between sandbox runs, restarts included: a counter alone would give a new case an old case's id.
  const run = sandboxRunTag();
  let fileSerial = 0;
  const store = await createSandboxFileStore({ dir: options.filesDir, now, newFileId: () => `SCF${run}${String((fileSerial += 1)).padStart(6, '0')}` });
  let certificateSerial = 0;
  const state = createSichuanState({
    ...options,
    run,
    now,
    onEvent: webhooks.push,
    files: store,
    issueCertificate: (wire, item, holderName) => sichuanCertificate(store, { wire, item, holderName, serial: (certificateSerial += 1), run, now: now(), rendering: options.certificateRendering }),
  });

  const ticker =
    options.stepMs && options.stepMs > 0
      ? setInterval(() => {
          void state.advance();
        }, options.stepMs).unref()
      : undefined;

  const listener: RequestListener = (req, res) => {
    (async () => {
      if (await serveFaultControl(req, res, rt)) return;
      // Files before the API, which reads whole bodies of at most 1 MiB.
      if (await serveSichuanFiles(req, res, { rt, store, envelopes })) return;
      await serveSichuanRequest(req, res, rt, (endpoint, raw) => envelopes.answerRequest(endpoint, raw, state.answer));
    })().catch((error: unknown) => sendJsonReply(res, { status: 500, body: { error: String(error) } }));
  };
  const sandbox = await serveSandbox(rt, listener, options, async () => {
    clearInterval(ticker);
    await webhooks.close();
    await store.close();
  });

  return {
    ...sandbox,
    advance: state.advance,
    cases: state.cases,
    requestCounts: () => ({ ...zeroCounts(), ...rt.requestCounts() }),
    webhookDeliveries: webhooks.deliveries,
    files: state.files,
    filesSettled: store.settled,
    revokeCertificate: state.revokeCertificate,
  };
}

// Re-exported so that importers keep the sandbox file as their one entry point.
export type { SichuanSandboxFaults } from './sichuan-sandbox.faults.js';
export type { WebhookDelivery } from './sichuan-sandbox.webhooks.js';
