import { createHash } from 'node:crypto';
import { InputError } from '../../domain/errors.js';
import { validatePhone, validatePostcode, validateResidentId, validateUscc } from '../../domain/identifiers/index.js';
import type { HandedInMaterial } from '../../domain/workflow/formal-review.js';
import type { Address, CaseRecord, ResultDelivery } from '../cases/case.model.js';
import type { SubmissionRequest } from '../cases/case.store.js';

/** An application as the receiving window hands it in, checked here before anything is read or allocated. */
export interface ReceiveApplicationInput {
  /**
   * Client-chosen key, at most 128 printable ASCII characters: the same key with the
   * same input from the same window and caller returns the case the first call created.
   */
  requestKey?: string | null;
  windowId: string;
  jurisdictionWindowId?: string | null;
  itemCode: string;
  applicant: { kind: 'PERSON' | 'ORGANISATION'; name: string; idNumber: string };
  contact: { name: string; phone: string };
  delivery: { method: ResultDelivery; address?: Address | null };
  materials: HandedInMaterial[];
  handler: string;
}

const MAX_MATERIALS = 50;
const MAX_TEXT = 100;
const REQUEST_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The request key in the caller's namespace, with a digest of the application as
 * validated: what tells a retry from a second application sent under the same key.
 */
export function submissionRequest(
  input: ReceiveApplicationInput,
  actor: string,
  divisionCode: string,
  validated: Pick<CaseRecord, 'applicant' | 'contact' | 'delivery' | 'handler'> & { materials: HandedInMaterial[] },
): SubmissionRequest | null {
  const key = input.requestKey;
  if (key == null) return null;
  if (!REQUEST_KEY.test(key)) {
    throw new InputError('INPUT.INVALID_REQUEST_KEY', '请求标识应为 1 至 128 个可打印 ASCII 字符');
  }
  const application = {
    windowId: input.windowId,
    jurisdictionWindowId: input.jurisdictionWindowId ?? null,
    itemCode: input.itemCode,
    ...validated,
  };
  const inputDigest = createHash('sha256').update(JSON.stringify(application)).digest('base64url');
  return { scope: { windowId: input.windowId, divisionCode, actor }, key, inputDigest };
}

export function requireText(value: string | null | undefined, field: string): string {
  const text = value?.trim() ?? '';
  if (!text) throw new InputError('INPUT.REQUIRED', `${field}不能为空`);
  if (text.length > MAX_TEXT) throw new InputError('INPUT.TOO_LONG', `${field}不能超过 ${MAX_TEXT} 字`);
  return text;
}

export function validateApplicant(applicant: ReceiveApplicationInput['applicant'], now: string) {
  const name = requireText(applicant.name, '申请人名称');
  const idNumber =
    applicant.kind === 'PERSON' ? validateResidentId(applicant.idNumber, { now }) : validateUscc(applicant.idNumber);
  return { kind: applicant.kind, name, idNumber };
}

export function validateDelivery(delivery: ReceiveApplicationInput['delivery']): CaseRecord['delivery'] {
  if (delivery.method === 'PICKUP') return { method: 'PICKUP', address: null };
  const address = delivery.address;
  if (!address) throw new InputError('INPUT.ADDRESS_REQUIRED', '邮寄送达须填写收件地址');
  return {
    method: 'MAIL',
    address: {
      recipient: requireText(address.recipient, '收件人'),
      phone: validatePhone(address.phone),
      address: requireText(address.address, '收件地址'),
      postcode: validatePostcode(address.postcode),
    },
  };
}

export function validateMaterials(materials: HandedInMaterial[]): HandedInMaterial[] {
  if (materials.length === 0) throw new InputError('INPUT.NO_MATERIALS', '至少应提交一件申请材料');
  if (materials.length > MAX_MATERIALS) {
    throw new InputError('INPUT.TOO_MANY_MATERIALS', `一次最多提交 ${MAX_MATERIALS} 件材料`);
  }
  return materials.map((material) => {
    if (!Number.isInteger(material.copies) || material.copies < 1 || material.copies > 99) {
      throw new InputError('INPUT.INVALID_COPIES', `材料“${material.name}”的份数应为 1 至 99`);
    }
    return { name: requireText(material.name, '材料名称'), form: material.form, copies: material.copies };
  });
}

