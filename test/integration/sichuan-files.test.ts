import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure } from '../support/client-test.kit.js';
import { fileUpload, generatedFile, readAll, startPushReceiver } from '../support/platform-files.kit.js';
import { PlatformRejectedError, PlatformUnavailableError } from '../../adapters/platform.errors.js';
import type { NonceStore, SubmitCaseRequest } from '../../adapters/platform.port.js';
import { SichuanClient, verifySichuanWebhook } from '../../adapters/sichuan/sichuan.client.js';
import { startSichuanSandbox, type SichuanSandbox } from '../../adapters/sichuan/sichuan.sandbox.js';

const APP_ID = 'tongban-files-it';
const SECRET = 'sc-files-secret';

const nonces = new Set<string>();
const nonceStore: NonceStore = { claim: async (nonce) => !nonces.has(nonce) && Boolean(nonces.add(nonce)) };

let sandbox: SichuanSandbox;
let receiver: Awaited<ReturnType<typeof startPushReceiver>>;
let client: SichuanClient;
let seq = 0;

const newBusinessNo = () => `SCF${Date.now()}${String((seq += 1)).padStart(4, '0')}`;

function submission(businessNo: string, fileIds?: string[]): SubmitCaseRequest {
  return {
    idempotencyKey: `transfer:${businessNo}`,
    businessNo,
    itemCode: '510000-00001',
    applicant: { kind: 'ORGANISATION', name: '重庆某水利检测有限公司', idNumber: '91500000MA5U000000' },
    contact: { name: '张三', phone: '13800000000' },
    receivingWindowId: 'cq-500000-01',
    receivingDivisionCode: '500000',
    materials: [{ name: '计量认证资质证书', form: 'ELECTRONIC', copies: 1, ...(fileIds ? { fileIds } : {}) }],
    submittedAt: '2024-05-20T01:30:00Z',
  };
}

beforeAll(async () => {
  receiver = await startPushReceiver((webhook) => verifySichuanWebhook(webhook, { appId: APP_ID, appSecret: SECRET, nonceStore }));
  sandbox = await startSichuanSandbox({ appId: APP_ID, appSecret: SECRET, webhookUrl: receiver.url, seed: 5 });
  client = new SichuanClient({ baseUrl: sandbox.url, appId: APP_ID, appSecret: SECRET, timeoutMs: 2_000, retries: 2, retryBaseMs: 5 });
});

afterEach(() => sandbox.setFaults({}));

afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

describe('四川一体化 file upload', () => {
  it('stores a streamed file once per (businessNo, digest): a second upload returns the same id', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(300_000, 11);
    const first = await client.uploadFile(fileUpload(businessNo, file));
    const again = await client.uploadFile(fileUpload(businessNo, file));
    expect(first).toMatchObject({ sha256: file.sha256, size: file.size });
    expect(first.receivedAt).toMatch(/Z$/);
    expect(again.fileId).toBe(first.fileId);
    expect(sandbox.files().filter((held) => held.businessNo === businessNo)).toEqual([
      { fileId: first.fileId, businessNo, material: '营业执照', sha256: file.sha256, size: file.size },
    ]);
  });

  it('refuses bytes that are not the described ones (400001), keeps nothing and does not retry', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(100_000, 12);
    const other = generatedFile(100_000, 13);
    const error = await failure(client.uploadFile(fileUpload(businessNo, file, { open: async () => ((file.stats.opened += 1), other.stream()) })));
    expect((error as PlatformRejectedError).platformCode).toBe('400001');
    expect(file.stats.opened).toBe(1);
    expect(sandbox.files().filter((held) => held.businessNo === businessNo)).toEqual([]);
  });

  it('streams a 20 MB file through in chunks and downloads it back with the digest verified', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(20 * 1024 * 1024, 14);
    const receipt = await client.uploadFile(fileUpload(businessNo, file));
    expect(file.stats.largestChunk).toBe(64 * 1024);
    const download = await client.downloadFile(receipt.fileId);
    expect({ size: download.size, sha256: download.sha256, contentType: download.contentType }).toEqual({ size: file.size, sha256: file.sha256, contentType: 'application/pdf' });
    const hash = createHash('sha256');
    for await (const chunk of download.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(file.sha256);
  });

  it('retries a dropped connection with the stream opened afresh; nothing is stored until an attempt completes', async () => {
    const businessNo = newBusinessNo();
    const file = generatedFile(2 * 1024 * 1024, 15);
    sandbox.setFaults({ dropMidFileRate: 1 });
    expect(await failure(client.uploadFile(fileUpload(businessNo, file)))).toBeInstanceOf(PlatformUnavailableError);
    expect(file.stats.opened).toBe(3);
    expect(sandbox.files().filter((held) => held.businessNo === businessNo)).toEqual([]);
    sandbox.setFaults({});
    const receipt = await client.uploadFile(fileUpload(businessNo, file));
    expect(sandbox.files().filter((held) => held.businessNo === businessNo).map((held) => held.fileId)).toEqual([receipt.fileId]);
  });

  it('refuses a submission naming a file it does not hold for that businessNo (400005)', async () => {
    const businessNo = newBusinessNo();
    const elsewhere = await client.uploadFile(fileUpload(newBusinessNo(), generatedFile(1000, 16)));
    const error = await failure(client.submitCase(submission(businessNo, [elsewhere.fileId])));
    expect((error as PlatformRejectedError).platformCode).toBe('400005');
    const own = await client.uploadFile(fileUpload(businessNo, generatedFile(1000, 17)));
    expect(await client.submitCase(submission(businessNo, [own.fileId]))).toMatchObject({ businessNo, stage: 'SUBMITTED', certificate: null });
  });

  it('answers an unknown file id 400004', async () => {
    const error = await failure(client.downloadFile('SCF-NO-SUCH-FILE'));
    expect((error as PlatformRejectedError).platformCode).toBe('400004');
  });
});

describe('四川一体化 e-certificates', () => {
  it('issues a certificate at CJ 出件 whose PDF downloads with a matching digest, and pushes its revocation', async () => {
    const businessNo = newBusinessNo();
    const record = await client.submitCase(submission(businessNo));
    for (let step = 0; step < 6; step += 1) await sandbox.advance(record.platformCaseId);
    const [issued] = await client.getCasesByIds([record.platformCaseId]);
    expect(issued!.stage).toBe('ISSUED');
    const certificate = issued!.certificate!;
    expect(certificate).toMatchObject({ holderName: '重庆某水利检测有限公司', revokedAt: null, revocationReason: null });
    expect(certificate.number).toMatch(/^SCZZ-\d{4}-/);
    expect(certificate.validFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const pdf = await client.downloadFile(certificate.fileId);
    const bytes = await readAll(pdf.body);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(pdf.sha256);

    await sandbox.revokeCertificate(certificate.number, '持证主体已注销');
    const revocation = receiver.events.find((event) => event.platformCaseId === record.platformCaseId && event.certificateRevoked);
    expect(revocation?.certificateRevoked).toMatchObject({ verificationCode: certificate.verificationCode, reason: '持证主体已注销' });
    const [revoked] = await client.getCasesByIds([record.platformCaseId]);
    expect(revoked!.certificate).toMatchObject({ revocationReason: '持证主体已注销', revokedAt: revocation!.certificateRevoked!.revokedAt });
  });
});
