import { isSoleTraderUscc } from './identifiers/index.js';

/**
 * The one masking rule for a person's data wherever it leaves the ledger
 * (seed 002 第九条(二): applicant data serves the case only): enough stays
 * visible for staff to match a document in hand, no more. Unmasked values go
 * out only through an audited read (Case.personalData, a printed notice).
 */
export function maskIdNumber(value: string): string {
  if (value.length <= 8) return '*'.repeat(value.length);
  return `${value.slice(0, 4)}${'*'.repeat(value.length - 8)}${value.slice(-4)}`;
}

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7) return '*'.repeat(value.length);
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/**
 * A person's name keeps its first character, and from three characters on its
 * last too: 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明. Counted in characters,
 * not UTF-16 units, so a name with a rare character (𠮷) masks like any other.
 */
export function maskName(value: string): string {
  const chars = Array.from(value);
  if (chars.length <= 1) return '*'.repeat(chars.length);
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars.at(-1)}`;
}

export interface Applicant {
  kind: 'PERSON' | 'ORGANISATION';
  name: string;
  idNumber: string;
}

/**
 * Whether an applicant is a natural person: a person, or a 个体工商户 trading
 * under its own name. An organisation's name and 统一社会信用代码 are public
 * registration data (README, "Personal data"), shown in full to whoever may
 * see the case.
 */
export function isNaturalPerson(applicant: Applicant): boolean {
  return applicant.kind === 'PERSON' || isSoleTraderUscc(applicant.idNumber);
}

export function maskApplicant<A extends Applicant>(applicant: A): A {
  if (!isNaturalPerson(applicant)) return applicant;
  return { ...applicant, name: maskName(applicant.name), idNumber: maskIdNumber(applicant.idNumber) };
}

/** The contact is always a person. */
export function maskContact<C extends { name: string; phone: string }>(contact: C): C {
  return { ...contact, name: maskName(contact.name), phone: maskPhone(contact.phone) };
}
