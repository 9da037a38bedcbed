import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../support/client-test.kit.js';
import { fileUpload, generatedFile, readAll, startPushReceiver } from '../support/platform-files.kit.js';
import { PlatformRejectedError, PlatformUnavailableError } from '../../adapters/platform.errors.js';
import type { NonceStore, SubmitCaseRequest } from '../../adapters/platform.port.js';
import { verifyYukuaibanWebhook, YukuaibanClient } from '../../adapters/yukuaiban/yukuaiban.client.js';
import { startYukuaibanSandbox, type YukuaibanSandbox } from '../../adapters/yukuaiban/yukuaiban.sandbox.js';

const APP_KEY = 'tongban-files-it';
const SECRET = 'ykb-files-secret';
const HOOK_PATH = '/hooks/yukuaiban';

const nonces = new Map<string, number>();
const nonceStore: NonceStore = { claim: async (nonce) => !nonces.has(nonce) && Boolean(nonces.set(nonce, 1)) };

let sandbox: YukuaibanSandbox;
let receiver: Awaited<ReturnType<typeof startPushReceiver>>;
let client: YukuaibanClient;
let seq = 0;

const newBusinessNo = () => `CYF${Date.now()}${String((seq += 1)).padStart(4, '0')}`;

function submission(businessNo: string, fileIds?: string[]): SubmitCaseRequest {
  return {
    idempotencyKey: `transfer:${businessNo}`,
    businessNo,
    itemCode: '500000-00018',
    applicant: { kind: 'ORGANISATION', name: '四川某某律师事务所', idNumber: '91510100MA61234567' },
    contact: { name: '张三', phone: '13800000000' },
    receivingWindowId: 'SC-510100-01',
    receivingDivisionCode: '510100',
    materials: [{ name: '营业执照', form: 'COPY', copies: 1, ...(fileIds ? { fileIds } : {}) }],
    submittedAt: '2024-05-01T09:30:00+08:00',
  };
}

beforeAll(async () => {
  receiver = await startPushReceiver((webhook) => verifyYukuaibanWebhook(webhook, { appKey: APP_KEY, appSecret: SECRET, nonceStore, path: HOOK_PATH }));
  sandbox = await startYukuaibanSandbox({ appKey: APP_KEY, appSecret: SECRET, webhookUrl: `${receiver.url}${HOOK_PATH}`, webhookRetryDelayMs: 10, seed: 3 });
  client = new YukuaibanClient({ baseUrl: sandbox.url, appKey: APP_KEY, appSecret: SECRET, timeoutMs: 2_000, retries: 2, retryBaseMs: 5 });
});

afterEach(() => sandbox.setFaults({}));

afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

describe('渝快办 file upload', () => {
  it('stores a streamed file once per (business number, digest): a second upload returns the same id', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(300_000, 1);
    const first = await client.uploadFile(fileUpload(businessNo, file));
    const again = await client.uploadFile(fileUpload(businessNo, file));
    expect(first).toMatchObject({ sha256: file.sha256, size: file.size });
    expect(Date.parse(first.receivedAt)).not.toBeNaN();
    expect(again.fileId).toBe(first.fileId);
    expect(sandbox.files().filter((held) => held.businessNo === businessNo)).toEqual([
      { fileId: first.fileId, businessNo, material: '营业执照', sha256: file.sha256, size: file.size },
    ]);
  });

  it('refuses bytes that are not the declared ones (40004), keeps nothing and does not retry', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(100_000, 2);
    const other = generatedFile(100_000, 3);
    const error = await failure(client.uploadFile(fileUpload(businessNo, file, { open: async () => ((file.stats.opened += 1), other.stream()) })));
    expect(error).toBeInstanceOf(PlatformRejectedError);
    expect((error as PlatformRejectedError).platformCode).toBe('40004');
    expect(file.stats.opened).toBe(1);
    expect(sandbox.files().filter((held) => held.businessNo === businessNo)).toEqual([]);
  });

  it('streams a 20 MB file through in chunks and downloads it back with the digest verified', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(20 * 1024 * 1024, 4);
    const receipt = await client.uploadFile(fileUpload(businessNo, file));
    expect(file.stats.largestChunk).toBe(64 * 1024);
    const download = await client.downloadFile(receipt.fileId);
    expect({ size: download.size, sha256: download.sha256, contentType: download.contentType }).toEqual({ size: file.size, sha256: file.sha256, contentType: 'application/pdf' });
    const hash = createHash('sha256');
    for await (const chunk of download.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(file.sha256);
  });

  it('retries a dropped connection with the stream opened afresh; the file is stored once', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(2 * 1024 * 1024, 5);
    sandbox.setFaults({ dropMidFileRate: 1 });
    expect(await failure(client.uploadFile(fileUpload(businessNo, file)))).toBeInstanceOf(PlatformUnavailableError);
    expect(file.stats.opened).toBe(3);
    expect(sandbox.files().filter((held) => held.businessNo === businessNo)).toEqual([]);
    sandbox.setFaults({});
    const receipt = await client.uploadFile(fileUpload(businessNo, file));
    expect(sandbox.files().filter((held) => held.businessNo === businessNo).map((held) => held.fileId)).toEqual([receipt.fileId]);
  });

  it('refuses a submission naming a file it does not hold for that business number (40008)', async () => {
    const businessNo = newBusinessNo();
    const elsewhere = await client.uploadFile(fileUpload(newBusinessNo(), generatedFile(1000, 6)));
    const error = await failure(client.submitCase(submission(businessNo, [elsewhere.fileId])));
    expect((error as PlatformRejectedError).platformCode).toBe('40008');
    const own = await client.uploadFile(fileUpload(businessNo, generatedFile(1000, 7)));
    const record = await client.submitCase(submission(businessNo, [own.fileId]));
    expect(record).toMatchObject({ businessNo, stage: 'SUBMITTED', certificate: null });
  });

  it('answers an unknown file id 40403', async () => {
    const error = await failure(client.downloadFile('YKBF-NO-SUCH-FILE'));
    expect((error as PlatformRejectedError).platformCode).toBe('40403');
  });
});

describe('渝快办 e-certificates', () => {
  it('issues a certificate at 07 出件 whose PDF downloads with a matching digest, and pushes its revocation', async () => {
    const businessNo = newBusinessNo();
    const record = await client.submitCase(submission(businessNo));
    for (let step = 0; step < 6; step += 1) sandbox.advance(record.platformCaseId);
    const [issued] = await client.getCasesByIds([record.platformCaseId]);
    expect(issued!.stage).toBe('ISSUED');
    const certificate = issued!.certificate!;
    expect(certificate).toMatchObject({ holderName: '四川某某律师事务所', itemName: '律师事务所设立许可', department: '重庆市司法局', revokedAt: null, revocationReason: null });
    expect(certificate.number).toMatch(/^YKBZZ\d{4}/);
    expect(certificate.verificationCode.length).toBeGreaterThanOrEqual(16);
    expect(certificate.validUntil! > certificate.validFrom).toBe(true);

    const pdf = await client.downloadFile(certificate.fileId);
    const bytes = await readAll(pdf.body);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(pdf.sha256);
    expect(pdf.contentType).toBe('application/pdf');

    sandbox.revokeCertificate(certificate.number, '证照信息有误');
    await sandbox.webhooksSettled();
    const revocation = receiver.events.find((event) => event.platformCaseId === record.platformCaseId && event.certificateRevoked);
    expect(revocation?.certificateRevoked).toMatchObject({ verificationCode: certificate.verificationCode, reason: '证照信息有误' });
    const [revoked] = await client.getCasesByIds([record.platformCaseId]);
    expect(revoked!.certificate).toMatchObject({ revocationReason: '证照信息有误', revokedAt: revocation!.certificateRevoked!.revokedAt });
  });
});
