/**
 * The 四川 sandbox's file endpoints (CONTRACT.md §9): an upload's head (in headers, signed
 * over its descriptor) is verified before a byte of the body is read; the body is streamed
 * to the file store and refused (400001) unless it is the described bytes; one file per
 * (businessNo, sha256). A download is an ordinary signed request answered with the bytes and
 * a signed head over their descriptor. Faults apply as to every call (drawn once the body is
 * in: a hang keeps the file, as a platform that took it and lost the answer), plus
 * `dropMidFileRate`. Also the e-certificates the sandbox issues at CJ 出件, in wire shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { FILE_CONTENT_TYPES } from '../file-transfer.kit.js';
import type { CatalogItem } from '../platform.port.js';
import type { CertificatePdfOptions } from '../certificate.pdf.js';
import { issueSandboxCertificate } from '../sandbox-certificates.kit.js';
import { drawFault } from '../sandbox-faults.kit.js';
import { drainBody, type SandboxFileStore } from '../sandbox-files.kit.js';
import { chanceOf, readBody, sendJsonReply, type SandboxRuntime } from '../sandbox.kit.js';
import { RTN, requestEnvelopeSchema, type WireCase } from './sichuan.contract.js';
import { fileDownloadRequestSchema, fromBase64, SC_FILE_HEADER, SC_MAX_FILE_BYTES, SICHUAN_FILE_ENDPOINTS, uploadDescriptorSchema, type WireCertificate } from './sichuan-files.contract.js';
import { formatWireTime } from './sichuan.signature.js';
import type { sichuanEnvelopes } from './sichuan-sandbox.signing.js';

type Envelopes = ReturnType<typeof sichuanEnvelopes>;

export interface SichuanFileRoutes {
  rt: SandboxRuntime;
  store: SandboxFileStore;
  envelopes: Envelopes;
}

const bare = (res: ServerResponse, status: number, error: string, headers?: Record<string, string>) =>
  sendJsonReply(res, { status, body: { error }, ...(headers ? { headers } : {}) });

const answer = (res: ServerResponse, text: string) => {
  if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(text);
};

/** Serves a file request and resolves true; false for any other path. */
export async function serveSichuanFiles(req: IncomingMessage, res: ServerResponse, ctx: SichuanFileRoutes): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
  if (path !== SICHUAN_FILE_ENDPOINTS.upload && path !== SICHUAN_FILE_ENDPOINTS.download) return false;
  if (req.method !== 'POST') {
    await drainBody(req);
    bare(res, 405, 'method not allowed');
    return true;
  }
  ctx.rt.count(path);
  await (path === SICHUAN_FILE_ENDPOINTS.upload ? upload(req, res, ctx) : download(req, res, ctx));
  return true;
}

async function upload(req: IncomingMessage, res: ServerResponse, ctx: SichuanFileRoutes): Promise<void> {
  const { envelopes, rt } = ctx;
  const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : '');
  const refuse = async (text: string) => {
    await drainBody(req);
    answer(res, text);
  };
  const head = requestEnvelopeSchema.shape.head.safeParse({
    appId: header(SC_FILE_HEADER.appId),
    requestTime: header(SC_FILE_HEADER.requestTime),
    nonce: header(SC_FILE_HEADER.nonce),
    signType: header(SC_FILE_HEADER.signType),
    sign: header(SC_FILE_HEADER.sign),
  });
  const descriptorText = fromBase64(req.headers[SC_FILE_HEADER.fileInfo] as string | undefined) ?? '';
  if (!head.success) return refuse(envelopes.envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: '参数错误: 文件报文头不完整' }, '', false));
  const nonce = head.data.nonce;
  const refused = envelopes.refusal(head.data, descriptorText);
  if (refused !== null) return refuse(refused);
  let described: unknown;
  try {
    described = JSON.parse(descriptorText);
  } catch {
    described = undefined;
  }
  const descriptor = uploadDescriptorSchema.safeParse(described);
  if (!descriptor.success) return refuse(envelopes.envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: '参数错误: 文件描述不符合约定' }, nonce, true));
  const { businessNo, materialName, sha256, size, contentType } = descriptor.data;
  const length = req.headers['content-length'];
  if (length === undefined) {
    await drainBody(req);
    return bare(res, 411, 'length required');
  }
  if (size > SC_MAX_FILE_BYTES) {
    await drainBody(req);
    return bare(res, 413, 'file too large');
  }
  if (Number(length) !== size) return refuse(envelopes.envelope({ rtnCode: RTN.BAD_PARAMETER, rtnMsg: `参数错误: Content-Length ${length} 与文件描述的 ${size} 不符` }, nonce, true));
  const sentType = header('content-type').split(';')[0]!.trim();
  if (!FILE_CONTENT_TYPES.has(contentType) || sentType !== contentType) return refuse(envelopes.envelope({ rtnCode: RTN.FILE_TYPE_NOT_ALLOWED }, nonce, true));

  const drop = chanceOf(rt.random)(rt.faults().dropMidFileRate) ? Math.floor(size / 2) : undefined;
  const reception = await ctx.store.receive(req, { businessNo, material: materialName, sha256, size, contentType }, { dropAfterBytes: drop });
  if (reception.kind === 'incomplete') return void res.destroy();
  if (reception.kind === 'digestMismatch') return answer(res, envelopes.envelope({ rtnCode: RTN.DIGEST_MISMATCH, rtnMsg: `文件摘要不符: 收到的内容 SHA-256 为 ${reception.actual}` }, nonce, true));
  const fault = await drawFault(rt.faults(), { ...rt, timeoutLast: true });
  if (fault.kind === 'hang') return void reception.commit();
  if (fault.kind === 'rateLimited' || fault.kind === 'error') {
    await reception.discard();
    return fault.kind === 'rateLimited' ? bare(res, 429, 'too many requests', { 'retry-after': fault.retryAfter }) : bare(res, fault.status, 'injected failure');
  }
  const { file, created } = reception.commit();
  const text = envelopes.envelope({ rtnCode: RTN.OK, body: { fileId: file.fileId, sha256: file.sha256, size: file.size, receiveTime: formatWireTime(file.receivedAt), duplicated: !created } }, nonce, true);
  answer(res, fault.truncate ? text.slice(0, Math.floor(text.length / 2)) : text);
}

async function download(req: IncomingMessage, res: ServerResponse, ctx: SichuanFileRoutes): Promise<void> {
  const raw = await readBody(req, 64 * 1024);
  if (raw === null) return bare(res, 413, 'request too large');
  const verified = ctx.envelopes.verify(raw.toString('utf8'));
  if ('refused' in verified) return answer(res, verified.refused);
  const request = fileDownloadRequestSchema.safeParse(verified.body);
  if (!request.success) return answer(res, ctx.envelopes.envelope({ rtnCode: RTN.BAD_PARAMETER }, verified.nonce, true));
  const fault = await drawFault(ctx.rt.faults(), { ...ctx.rt, timeoutLast: true });
  if (fault.kind === 'hang') return;
  if (fault.kind === 'rateLimited') return bare(res, 429, 'too many requests', { 'retry-after': fault.retryAfter });
  if (fault.kind === 'error') return bare(res, fault.status, 'injected failure');
  const opened = await ctx.store.open(request.data.fileId);
  if (!opened) return answer(res, ctx.envelopes.envelope({ rtnCode: RTN.FILE_NOT_FOUND, rtnMsg: `文件不存在: ${request.data.fileId}` }, verified.nonce, true));
  const { file, body } = opened;
  const descriptorText = JSON.stringify({ fileId: file.fileId, sha256: file.sha256, size: file.size, contentType: file.contentType });
  res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.size), ...ctx.envelopes.signedFileHeaders(descriptorText, verified.nonce) });
  await pipeline(body, res).catch(() => undefined);
}

/** The 电子证照 of a case issued now: number 川证 + year + run + serial. */
export function sichuanCertificate(store: SandboxFileStore, p: { wire: WireCase; item: CatalogItem; holderName: string; serial: number; run: string; now: number; rendering?: CertificatePdfOptions }): WireCertificate {
  const issueTime = formatWireTime(p.now);
  const issued = issueSandboxCertificate(
    store,
    {
      businessNo: p.wire.businessNo,
      number: `SCZZ-${issueTime.slice(0, 4)}-${p.run}-${String(p.serial).padStart(6, '0')}`,
      holderName: p.holderName,
      itemCode: p.item.code,
      itemName: p.item.name,
      department: p.item.department,
      powerType: p.item.powerType,
      issuedAt: p.now,
    },
    p.rendering,
  );
  return {
    fileId: issued.fileId,
    certNo: issued.number,
    holderName: issued.holderName,
    itemName: issued.itemName,
    deptName: issued.department,
    validFrom: issued.validFrom,
    validTo: issued.validUntil,
    verifyCode: issued.verificationCode,
    issueTime,
    revokeTime: null,
    revokeReason: null,
  };
}
