import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SICHUAN_CATALOG } from '../../adapters/sichuan/sichuan.catalog.js';
import { application, until } from '../support/process.kit.js';
import { startTestS3, type TestS3 } from '../support/s3-server.js';
import { samplePdf, tusClient } from '../support/scans.kit.js';
import { staffAt, startTestStack, type TestStack } from '../support/stack.js';

const ITEM = SICHUAN_CATALOG.find((item) => item.code === '510000-00001')!;
const RECEIVING = staffAt('W-500000-01');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const CASE = /* GraphQL */ `
  query ($no: ID!) {
    case(businessNo: $no) {
      stage materialsWithoutScan
      scans { material sha256 platformFileId acknowledgedAt }
      deadlines { kind status }
      result { certificate { number holder itemName verificationCode verifyUrl status url validUntil } }
    }
  }
`;

/**
 * 线上流转 end to end (#17): scans uploaded over tus through the gateway, sent
 * with the case to the owning platform, a decision that carries an e-certificate,
 * which the receiving window downloads and anyone verifies. Once on the disk
 * store, once on a real S3 server.
 */
describe.each(['disk', 's3'] as const)('an electronic case on the %s store', (kind) => {
  let stack: TestStack;
  let s3: TestS3 | undefined;
  const now = new Date('2025-11-24T10:00:00+08:00');

  beforeAll(async () => {
    if (kind === 's3') s3 = await startTestS3();
    const env = s3?.env ?? {};
    stack = await startTestStack({ now: () => now, env });
  });

  afterAll(async () => {
    await stack?.close();
    await s3?.close();
  });

  it('takes two scanned PDFs to the platform with the case, and brings back a certificate anyone can verify', async () => {
    const input = application(ITEM, RECEIVING.windowId!, `e-case ${kind}`);
    const { record } = await stack.workflow.receiveApplication(input, 'test');
    const no = record.businessNo;
    const staff = stack.as(RECEIVING);

    // Two multi-page scans over tus in small chunks; the other materials share one scan.
    const client = tusClient(stack.gateway.url, await stack.token(RECEIVING));
    const names = ITEM.materials.map((material) => material.name);
    const pdfs = [await samplePdf(`${kind} 身份证件`, 2), await samplePdf(`${kind} 申请书`, 5)];
    for (const [index, name] of names.entries()) {
      const pdf = pdfs[Math.min(index, 1)]!;
      const { uploadId, last } = await client.upload(pdf, 2048);
      expect(last.status).toBe(204);
      const attached = await staff.query<any>(
        'mutation ($no: ID!, $m: String!, $u: ID!) { attachMaterialFile(businessNo: $no, material: $m, uploadId: $u) { materialsWithoutScan } }',
        { no, m: name, u: uploadId },
      );
      expect(attached.errors).toBeUndefined();
    }
    const dispatched = await staff.query<any>('mutation ($no: ID!) { dispatchMaterials(businessNo: $no, channel: ONLINE) { stage } }', { no });
    expect(dispatched.errors).toBeUndefined();

    const forwarded = await until('the case forwarded', async () => (await stack.workflow.get(no)).platformCaseId, 20_000);
    const atPlatform = stack.sichuan.files().filter((file) => file.businessNo === no);
    expect(atPlatform.map((file) => file.sha256).sort()).toEqual(pdfs.map(sha256).sort());
    const sent = (await staff.query<any>(CASE, { no })).data.case;
    expect(sent.scans.every((scan: any) => scan.platformFileId && scan.acknowledgedAt)).toBe(true);
    expect(new Set(sent.scans.map((scan: any) => scan.platformFileId))).toEqual(new Set(atPlatform.map((file) => file.fileId)));
    expect(sent.deadlines.find((deadline: any) => deadline.kind === 'ONLINE_TRANSFER').status).toBe('MET');
    // The uploads went through @tus/s3-store in the bucket, and left nothing there but the files.
    if (s3) expect(await s3.keys()).toEqual([...new Set(pdfs.map((pdf) => `sha256/${sha256(pdf)}`))].sort());
    if (s3) expect(await s3.multipartUploads()).toEqual([]);

    // The platform decides and issues; its push of 出件 brings the certificate in.
    await until('the certificate', async () => {
      await stack.sichuan.advance(forwarded);
      return (await stack.workflow.get(no)).certificate;
    }, 20_000);
    const jurisdiction = staffAt(record.jurisdictionWindowId, 'JURISDICTION_STAFF');
    const result = await stack.as(jurisdiction).query<any>('mutation ($no: ID!) { recordResultDispatched(businessNo: $no, delivery: { method: PICKUP }) { stage } }', { no });
    expect(result.errors).toBeUndefined();

    const issued = (await staff.query<any>(CASE, { no })).data.case.result.certificate;
    expect(issued).toMatchObject({ status: 'VALID', itemName: ITEM.name, holder: input.applicant.name });
    expect(issued.verifyUrl).toMatch(new RegExp(`/verify/${issued.verificationCode}$`));
    const download = await fetch(`${stack.gateway.url}${issued.url}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await download.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(sha256(pdf)).toBe((await stack.workflow.get(no)).certificate!.sha256);
    expect(stack.sichuan.files().some((file) => file.sha256 === sha256(pdf))).toBe(true);

    const verify = async () => (await fetch(`${stack.gateway.url}/verify/${issued.verificationCode}`, { headers: { accept: 'application/json' } })).json();
    expect(await verify()).toEqual({ status: 'VALID', number: issued.number, itemName: ITEM.name, holder: input.applicant.name });

    // The pickup SMS names the certificate and the link its QR code opens.
    expect((await stack.as(RECEIVING).query<any>('mutation ($no: ID!) { recordResultAtWindow(businessNo: $no) { stage } }', { no })).errors).toBeUndefined();
    expect((await stack.as(RECEIVING).query<any>('mutation ($no: ID!) { notifyApplicantForPickup(businessNo: $no) { stage } }', { no })).errors).toBeUndefined();
    const sms = await until('the pickup SMS', async () => stack.notify.outbox().find((message) => message.businessNo === no), 20_000);
    expect(sms.template).toBe('PICKUP_READY_CERTIFICATE');
    expect(sms.text).toContain(issued.number);
    expect(sms.text).toContain(`/verify/${issued.verificationCode}`);

    await stack.sichuan.revokeCertificate(issued.number, '证照信息有误');
    await until('the revocation', async () => (await verify()).status === 'REVOKED', 20_000);
    expect((await staff.query<any>(CASE, { no })).data.case.result.certificate.status).toBe('REVOKED');
  }, 60_000);
});
