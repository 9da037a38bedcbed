import { createHash } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../support/client-test.kit.js';
import { fileUpload, generatedFile, readAll, startPushReceiver } from '../support/platform-files.kit.js';
import { PlatformRejectedError, PlatformUnavailableError } from '../../adapters/platform.errors.js';
import type { InboundWebhook, NonceStore, PlatformEvent, PlatformPort, SubmitCaseRequest } from '../../adapters/platform.port.js';
import type { SandboxFaults } from '../../adapters/sandbox.kit.js';
import { SichuanClient, verifySichuanWebhook } from '../../adapters/sichuan/sichuan.client.js';
import { startSichuanSandbox } from '../../adapters/sichuan/sichuan.sandbox.js';
import { verifyYukuaibanWebhook, YukuaibanClient } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { startYukuaibanSandbox } from '../../adapters/yukuaiban/yukuaiban.sandbox.js';

const SECRET = 'files-it-secret';
const APP = 'tongban-files-it';
const HOOK_PATH = '/hooks/files';

const nonces = new Set<string>();
const nonceStore: NonceStore = { claim: async (nonce) => !nonces.has(nonce) && Boolean(nonces.add(nonce)) };

/** What the tests need of a platform: its sandbox's controls, its client, and its own codes and formats. */
interface Platform {
  close(): Promise<void>;
  setFaults(faults: SandboxFaults): void;
  files(): { fileId: string; businessNo: string; material: string; sha256: string; size: number }[];
  /** Moves the case to 出件. */
  issue(platformCaseId: string): Promise<void>;
  /** Revokes and waits for the push to settle. */
  revoke(number: string, reason: string): Promise<void>;
  client: PlatformPort;
}

interface Case {
  name: string;
  itemCode: string;
  holder: string;
  codes: { digestMismatch: string; unknownFile: string; fileNotFound: string };
  number: RegExp;
  verify(webhook: InboundWebhook): Promise<PlatformEvent>;
  start(webhookUrl: string): Promise<Platform>;
}

const CASES: Case[] = [
  {
    name: '渝快办',
    itemCode: '500000-00018',
    holder: '四川某某律师事务所',
    codes: { digestMismatch: '40004', unknownFile: '40008', fileNotFound: '40403' },
    number: /^YKBZZ\d{4}/,
    verify: (webhook) => verifyYukuaibanWebhook(webhook, { appKey: APP, appSecret: SECRET, nonceStore, path: HOOK_PATH }),
    async start(webhookUrl) {
      const sandbox = await startYukuaibanSandbox({ appKey: APP, appSecret: SECRET, webhookUrl: `${webhookUrl}${HOOK_PATH}`, webhookRetryDelayMs: 10, seed: 3 });
      return {
        ...sandbox,
        issue: async (id) => {
          for (let step = 0; step < 6; step += 1) sandbox.advance(id);
        },
        revoke: async (number, reason) => {
          sandbox.revokeCertificate(number, reason);
          await sandbox.webhooksSettled();
        },
        client: new YukuaibanClient({ baseUrl: sandbox.url, appKey: APP, appSecret: SECRET, timeoutMs: 2_000, retries: 2, retryBaseMs: 5 }),
      };
    },
  },
  {
    name: '四川一体化',
    itemCode: '510000-00001',
    holder: '重庆某水利检测有限公司',
    codes: { digestMismatch: '400001', unknownFile: '400005', fileNotFound: '400004' },
    number: /^SCZZ-\d{4}-/,
    verify: (webhook) => verifySichuanWebhook(webhook, { appId: APP, appSecret: SECRET, nonceStore }),
    async start(webhookUrl) {
      const sandbox = await startSichuanSandbox({ appId: APP, appSecret: SECRET, webhookUrl, seed: 5 });
      return {
        ...sandbox,
        issue: async (id) => {
          for (let step = 0; step < 6; step += 1) await sandbox.advance(id);
        },
        revoke: async (number, reason) => {
          await sandbox.revokeCertificate(number, reason);
        },
        client: new SichuanClient({ baseUrl: sandbox.url, appId: APP, appSecret: SECRET, timeoutMs: 2_000, retries: 2, retryBaseMs: 5 }),
      };
    },
  },
];

let seq = 0;
const newBusinessNo = () => `FILES${Date.now()}${String((seq += 1)).padStart(4, '0')}`;

describe.each(CASES)('$name files and e-certificates', (platform) => {
  let sandbox: Platform;
  let receiver: Awaited<ReturnType<typeof startPushReceiver>>;

  const submission = (businessNo: string, fileIds?: string[]): SubmitCaseRequest => ({
    idempotencyKey: `transfer:${businessNo}`,
    businessNo,
    itemCode: platform.itemCode,
    applicant: { kind: 'ORGANISATION', name: platform.holder, idNumber: '91500000MA5U000000' },
    contact: { name: '张三', phone: '13800000000' },
    receivingWindowId: 'SC-510100-01',
    receivingDivisionCode: '510100',
    materials: [{ name: '营业执照', form: 'COPY', copies: 1, ...(fileIds ? { fileIds } : {}) }],
    submittedAt: '2024-05-01T09:30:00+08:00',
  });
  const held = (businessNo: string) => sandbox.files().filter((file) => file.businessNo === businessNo);

  beforeAll(async () => {
    receiver = await startPushReceiver(platform.verify);
    sandbox = await platform.start(receiver.url);
  });
  afterEach(() => sandbox.setFaults({}));
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  it('stores a streamed file once per (business number, digest): a second upload returns the same id', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(300_000, 1);
    const first = await sandbox.client.uploadFile(fileUpload(businessNo, file));
    const again = await sandbox.client.uploadFile(fileUpload(businessNo, file));
    expect(first).toMatchObject({ sha256: file.sha256, size: file.size });
    expect(first.receivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
    expect(again.fileId).toBe(first.fileId);
    expect(held(businessNo)).toEqual([{ fileId: first.fileId, businessNo, material: '营业执照', sha256: file.sha256, size: file.size }]);
  });

  it('refuses bytes that are not the declared ones, keeps nothing and does not retry', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(100_000, 2);
    const other = generatedFile(100_000, 3);
    const error = await failure(sandbox.client.uploadFile(fileUpload(businessNo, file, { open: async () => ((file.stats.opened += 1), other.stream()) })));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect((error as PlatformRejectedError).platformCode).toBe(platform.codes.digestMismatch);
    expect(file.stats.opened).toBe(1);
    expect(held(businessNo)).toEqual([]);
  });

  it('streams a 20 MB file through in 64 KiB chunks and downloads it back with the digest verified', async () => {
    const file = generatedFile(20 * 1024 * 1024, 4);
    const receipt = await sandbox.client.uploadFile(fileUpload(newBusinessNo(), file));
    expect(file.stats.largestChunk).toBe(64 * 1024);
    const download = await sandbox.client.downloadFile(receipt.fileId);
    expect({ size: download.size, sha256: download.sha256, contentType: download.contentType }).toEqual({ size: file.size, sha256: file.sha256, contentType: 'application/pdf' });
    const hash = createHash('sha256');
    for await (const chunk of download.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(file.sha256);
  });

  it('retries a connection dropped mid-file with the stream opened afresh; nothing is stored until an attempt completes', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(2 * 1024 * 1024, 5);
    sandbox.setFaults({ dropMidFileRate: 1 });
    expect(await failure(sandbox.client.uploadFile(fileUpload(businessNo, file)))).toBeInstanceOf(PlatformUnavailableError);
    expect(file.stats.opened).toBe(3);
    expect(held(businessNo)).toEqual([]);
    sandbox.setFaults({});
    const receipt = await sandbox.client.uploadFile(fileUpload(businessNo, file));
    expect(held(businessNo).map((entry) => entry.fileId)).toEqual([receipt.fileId]);
  });

  it('refuses a submission naming a file it does not hold for that business number', async () => {
    const businessNo = newBusinessNo();
    const elsewhere = await sandbox.client.uploadFile(fileUpload(newBusinessNo(), generatedFile(1000, 6)));
    const error = await failure(sandbox.client.submitCase(submission(businessNo, [elsewhere.fileId])));
    expect((error as PlatformRejectedError).platformCode).toBe(platform.codes.unknownFile);
    const own = await sandbox.client.uploadFile(fileUpload(businessNo, generatedFile(1000, 7)));
    expect(await sandbox.client.submitCase(submission(businessNo, [own.fileId]))).toMatchObject({ businessNo, stage: 'SUBMITTED', certificate: null });
  });

  it('answers an unknown file id with its not-found code', async () => {
    const error = await failure(sandbox.client.downloadFile('NO-SUCH-FILE'));
    expect((error as PlatformRejectedError).platformCode).toBe(platform.codes.fileNotFound);
  });

  it('issues a certificate at 出件 whose PDF downloads with a matching digest, and pushes its revocation', async () => {
    const record = await sandbox.client.submitCase(submission(newBusinessNo()));
    await sandbox.issue(record.platformCaseId);
    const [issued] = await sandbox.client.getCasesByIds([record.platformCaseId]);
    expect(issued!.stage).toBe('ISSUED');
    const certificate = issued!.certificate!;
    expect(certificate).toMatchObject({ holderName: platform.holder, revokedAt: null, revocationReason: null });
    expect(certificate.number).toMatch(platform.number);
    expect(certificate.verificationCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{20}$/);
    expect(certificate.validFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const pdf = await sandbox.client.downloadFile(certificate.fileId);
    const bytes = await readAll(pdf.body);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(pdf.sha256);
    expect(pdf.contentType).toBe('application/pdf');
    expect((await PDFDocument.load(bytes)).getTitle()).toBe(`电子证照 ${certificate.number}`);

    await sandbox.revoke(certificate.number, '证照信息有误');
    const revocation = receiver.events.find((event) => event.platformCaseId === record.platformCaseId && event.certificateRevoked);
    expect(revocation?.certificateRevoked).toMatchObject({ verificationCode: certificate.verificationCode, reason: '证照信息有误' });
    const [revoked] = await sandbox.client.getCasesByIds([record.platformCaseId]);
    expect(revoked!.certificate).toMatchObject({ revocationReason: '证照信息有误', revokedAt: revocation!.certificateRevoked!.revokedAt });
  });
});
