import { InputError } from '../../domain/errors.js';
import type { CaseStore } from '../../ledger/cases/case.store.js';

export const PERSONAL_DATA_READ = 'PERSONAL_DATA_READ';

/** Why unmasked data was read; the schema's PersonalDataPurpose. */
export const PURPOSES = ['CASE_HANDLING', 'APPLICANT_CONTACT', 'RESULT_DELIVERY', 'PRINT_NOTICE', 'DOWNLOAD_FILE'] as const;
export type PersonalDataPurpose = (typeof PURPOSES)[number];

export interface PersonalDataReason {
  purpose: PersonalDataPurpose;
  note: string | null;
}

const MAX_NOTE = 200;

/** What a notice prints unmasked (domain/notices): the applicant's name and the contact. */
export const NOTICE_FIELDS = ['applicant.name', 'contact.name', 'contact.phone'];

export function personalDataReason(input: { purpose: PersonalDataPurpose; note?: string | null }): PersonalDataReason {
  if (!PURPOSES.includes(input.purpose)) throw new InputError('INPUT.INVALID_PURPOSE', '查看个人信息须选择用途');
  const note = input.note?.trim() || null;
  if (note && note.length > MAX_NOTE) throw new InputError('INPUT.NOTE_TOO_LONG', `说明不能超过 ${MAX_NOTE} 字`);
  return { purpose: input.purpose, note };
}

/**
 * Every unmasked read goes into the case's trail before the data is handed out:
 * a read that could not be recorded does not happen.
 */
export function recordPersonalDataRead(
  store: Pick<CaseStore, 'appendEvent'>,
  read: { businessNo: string; actor: string; at: string; fields: string[]; reason: PersonalDataReason },
): Promise<void> {
  return store.appendEvent(read.businessNo, {
    type: PERSONAL_DATA_READ,
    at: read.at,
    actor: read.actor,
    data: { fields: read.fields, purpose: read.reason.purpose, note: read.reason.note },
  });
}

/** A print of a notice (stored, or the pickup notice), from the route or from `html`: both record it alike. */
export function recordNoticePrint(store: Pick<CaseStore, 'appendEvent'>, print: { businessNo: string; actor: string; at: Date; noticeId: string }): Promise<void> {
  return recordPersonalDataRead(store, {
    businessNo: print.businessNo,
    actor: print.actor,
    at: print.at.toISOString(),
    fields: NOTICE_FIELDS,
    reason: { purpose: 'PRINT_NOTICE', note: print.noticeId },
  });
}
