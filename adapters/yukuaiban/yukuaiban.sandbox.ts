/**
 * A stand-in for 渝快办 that speaks CONTRACT.md over real HTTP: signed requests, the
 * catalog, idempotent case intake, stage progression, signed webhooks with retries, and
 * injectable faults. Development and integration tests run against it; nothing in it is
 * for production.
 *
 * Determinism: faults draw from a seeded PRNG and stages move only on `advance()` unless
 * `stepMs` is set, so a test sees the same behaviour on every run.
 *
 * This file wires the routes; the records are in yukuaiban-sandbox.state.ts, the signatures
 * in yukuaiban-sandbox.signing.ts, the webhooks in yukuaiban-sandbox.webhooks.ts and the
 * fault replies in yukuaiban-sandbox.faults.ts.
 */
import type { IncomingMessage, RequestListener } from 'node:http';
import type { CatalogItem } from '../platform.port.js';
import { parseJsonBody, sandboxListener } from '../sandbox-faults.kit.js';
import type { CertificatePdfOptions } from '../certificate.pdf.js';
import { createSandboxFileStore } from '../sandbox-files.kit.js';
import { pushRetries } from '../sandbox-push.kit.js';
import { sandboxRuntime, serveSandbox, type Sandbox, type SandboxOptions } from '../sandbox-server.kit.js';
import { sandboxRunTag } from '../sandbox.kit.js';
import { YUKUAIBAN_CATALOG } from './yukuaiban.catalog.js';
import { YKB_HEADER, YKB_TIMESTAMP_TOLERANCE_MS } from './yukuaiban.signature.js';
import { describeIssues, ykbCasesBatchRequestSchema, ykbItemsBatchRequestSchema, YKB_API, YKB_CODE, type YkbCase } from './yukuaiban.wire.js';
import { yukuaibanFaultHandling } from './yukuaiban-sandbox.faults.js';
import { yukuaibanAuthenticator } from './yukuaiban-sandbox.signing.js';
import { serveYukuaibanFiles, yukuaibanCertificate } from './yukuaiban-sandbox.files.js';
import { createYukuaibanState, fail, type Reply, type SandboxFileView } from './yukuaiban-sandbox.state.js';
import { createYukuaibanWebhooks, type WebhookDelivery } from './yukuaiban-sandbox.webhooks.js';

export interface YukuaibanSandboxOptions extends SandboxOptions {
  appKey: string;
  appSecret: string;
  /** Where stage changes are pushed; no pushes without it. */
  webhookUrl?: string;
  /** Path the pushes are signed with, when the receiver sees another path than the URL's (a rewriting proxy). */
  webhookPath?: string;
  /** Delivery attempts per event before giving up (default 4). */
  webhookAttempts?: number;
  /** Wait before the second attempt; doubles after each failure (default 200 ms). */
  webhookRetryDelayMs?: number;
  webhookTimeoutMs?: number;
  /** Each case moves one stage every stepMs; 0 or absent: only `advance()` moves cases. */
  stepMs?: number;
  /** Cases for these items are refused (09 不予受理) instead of accepted. */
  rejectItemCodes?: readonly string[];
  rejectReasons?: readonly string[];
  catalog?: readonly CatalogItem[];
  toleranceMs?: number;
  /** Where received files are kept; default a temporary directory removed on close. */
  filesDir?: string;
  /** The verify page's origin and the CJK font of the certificates' PDFs (default SANDBOX_CERTIFICATE_RENDERING). */
  certificateRendering?: CertificatePdfOptions;
}

export interface YukuaibanSandbox extends Sandbox {
  /** Moves one case, or every open case, one stage now; returns the cases that moved. */
  advance(platformCaseId?: string): YkbCase[];
  /** The platform's own records, in its wire format, oldest first. */
  cases(): YkbCase[];
  webhookLog(): WebhookDelivery[];
  /** Resolves when every push queued so far was delivered or given up. */
  webhooksSettled(): Promise<void>;
  /** Adds an item or replaces the one with its code, as the platform's catalog team publishing a revision. */
  publishItem(item: CatalogItem): void;
  /** The files held: uploads and the certificates' PDFs. */
  files(): SandboxFileView[];
  /** Resolves when every certificate PDF issued so far is on disk. */
  filesSettled(): Promise<void>;
  /** Marks the certificate revoked and pushes a signed revocation event; the case as it is now. */
  revokeCertificate(number: string, reason: string): YkbCase;
}

type Endpoint = 'GET /api/v1/items' | 'POST /api/v1/items/batch' | 'POST /api/v1/cases' | 'POST /api/v1/cases/batch' | 'GET /api/v1/cases/{id}';

function matchRoute(method: string, pathname: string): { endpoint: Endpoint; id?: string } | null {
  if (method === 'GET' && pathname === YKB_API.items) return { endpoint: 'GET /api/v1/items' };
  if (method === 'POST' && pathname === YKB_API.itemsBatch) return { endpoint: 'POST /api/v1/items/batch' };
  if (method === 'POST' && pathname === YKB_API.cases) return { endpoint: 'POST /api/v1/cases' };
  if (method === 'POST' && pathname === YKB_API.casesBatch) return { endpoint: 'POST /api/v1/cases/batch' };
  const caseMatch = /^\/api\/v1\/cases\/([^/]+)$/.exec(pathname);
  if (method === 'GET' && caseMatch) return { endpoint: 'GET /api/v1/cases/{id}', id: caseMatch[1]! };
  return null;
}

export async function startYukuaibanSandbox(opts: YukuaibanSandboxOptions): Promise<YukuaibanSandbox> {
  const now = opts.now ?? Date.now;
  const rt = sandboxRuntime(opts, 20210412);
  // Ids differ between sandbox runs, restarts included, so a long-lived gateway never confuses the cases of two runs.
  const instance = sandboxRunTag();
  const authenticate = yukuaibanAuthenticator({ ...opts, now, toleranceMs: opts.toleranceMs ?? YKB_TIMESTAMP_TOLERANCE_MS });
  const retries = pushRetries({ attempts: opts.webhookAttempts, retryDelayMs: opts.webhookRetryDelayMs, timeoutMs: opts.webhookTimeoutMs });
  const webhooks = createYukuaibanWebhooks({ ...opts, instance, now, retries }, rt);
  let fileSeq = 0;
  const store = await createSandboxFileStore({ dir: opts.filesDir, now, newFileId: () => `YKBF${instance}${String((fileSeq += 1)).padStart(6, '0')}` });
  let certificateSeq = 0;
  const state = createYukuaibanState({
    ...opts,
    instance,
    now,
    catalog: opts.catalog ?? YUKUAIBAN_CATALOG,
    isClosed: rt.isClosed,
    onStage: webhooks.push,
    files: store,
    issueCertificate: (record, item, holderName) => yukuaibanCertificate(store, { record, item, holderName, serial: (certificateSeq += 1), instance, now: now(), rendering: opts.certificateRendering }),
  });

  function route(req: IncomingMessage, url: URL, raw: Buffer, matched: { endpoint: Endpoint; id?: string }): Reply {
    const refused = authenticate(req, raw);
    if (refused) return refused;
    if (matched.endpoint === 'GET /api/v1/items') return state.searchItems(url);
    if (matched.endpoint === 'GET /api/v1/cases/{id}') return state.getCase(decodeURIComponent(matched.id!));
    const parsed = parseJsonBody(raw, () => fail(400, YKB_CODE.badParams, '请求体不是合法 JSON'));
    if (!('json' in parsed)) return parsed;
    if (matched.endpoint === 'POST /api/v1/items/batch') {
      const request = ykbItemsBatchRequestSchema.safeParse(parsed.json);
      return request.success ? state.itemsBatch(request.data.sxbmList) : fail(400, YKB_CODE.badParams, `参数错误：${describeIssues(request.error)}`);
    }
    if (matched.endpoint === 'POST /api/v1/cases/batch') {
      const request = ykbCasesBatchRequestSchema.safeParse(parsed.json);
      return request.success ? state.casesBatch(request.data.bjbhList) : fail(400, YKB_CODE.badParams, `参数错误：${describeIssues(request.error)}`);
    }
    return state.submitCase(req.headers[YKB_HEADER.idempotencyKey], parsed.json, raw);
  }

  const api = sandboxListener(rt, { ...yukuaibanFaultHandling, match: matchRoute, route });
  // Files first: their bodies are streamed to disk, never read whole as the API's are.
  const listener: RequestListener = (req, res) => {
    serveYukuaibanFiles(req, res, { rt, store, authenticate })
      .then((served) => served || api(req, res))
      .catch(() => res.destroy());
  };
  const sandbox = await serveSandbox(rt, listener, opts, async () => {
    state.close();
    await webhooks.close();
    await store.close();
  });

  return {
    ...sandbox,
    publishItem: state.publishItem,
    advance: state.advance,
    cases: state.cases,
    webhookLog: webhooks.log,
    webhooksSettled: webhooks.settled,
    files: state.files,
    filesSettled: store.settled,
    revokeCertificate: state.revokeCertificate,
  };
}

// Re-exported so that importers keep the sandbox file as their one entry point.
export type { YukuaibanSandboxFaults } from './yukuaiban-sandbox.faults.js';
export type { WebhookDelivery } from './yukuaiban-sandbox.webhooks.js';
