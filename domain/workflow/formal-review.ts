import type { MaterialForm, RequiredMaterial } from '../catalog.js';

export interface HandedInMaterial {
  name: string;
  form: MaterialForm;
  copies: number;
}

export type Verdict = 'QUALIFIED' | 'DEFICIENT' | 'MISSING';

export interface ReviewedMaterial extends HandedInMaterial {
  verdict: Verdict;
  /** 补正意见: what the applicant must bring; null when qualified. */
  opinion: string | null;
}

export interface ReviewResult {
  complete: boolean;
  materials: ReviewedMaterial[];
}

const FORM_NAME: Record<MaterialForm, string> = {
  ORIGINAL: '原件',
  COPY: '复印件',
  ORIGINAL_AND_COPY: '原件和复印件',
  ELECTRONIC: '电子件',
};

/** What a handed-in form covers: an original and a copy satisfy either requirement alone. */
function covers(given: MaterialForm, required: MaterialForm): boolean {
  if (given === required) return true;
  if (given === 'ORIGINAL_AND_COPY') return required === 'ORIGINAL' || required === 'COPY';
  return false;
}

const normalise = (name: string) => name.replace(/\s+/g, '');

/**
 * 形式审查 (seed 000 二(一)): every required material is checked for presence,
 * form and number of copies, and the result lists every material once with its
 * verdict, so a 一次性告知书 can name all defects at the same time. Materials
 * the item does not ask for are received as given.
 */
export function reviewMaterials(required: readonly RequiredMaterial[], handedIn: readonly HandedInMaterial[]): ReviewResult {
  const byName = new Map(handedIn.map((material) => [normalise(material.name), material]));
  const reviewed: ReviewedMaterial[] = [];

  for (const requirement of required) {
    const given = byName.get(normalise(requirement.name));
    byName.delete(normalise(requirement.name));
    if (!given) {
      if (requirement.required) {
        reviewed.push({
          name: requirement.name,
          form: requirement.form,
          copies: 0,
          verdict: 'MISSING',
          opinion: `请提交${FORM_NAME[requirement.form]}${requirement.copies}份`,
        });
      }
      continue;
    }
    const problems: string[] = [];
    if (!covers(given.form, requirement.form)) problems.push(`应提交${FORM_NAME[requirement.form]}`);
    if (given.copies < requirement.copies) problems.push(`份数不足，应为${requirement.copies}份`);
    reviewed.push({
      ...given,
      name: requirement.name,
      verdict: problems.length ? 'DEFICIENT' : 'QUALIFIED',
      opinion: problems.length ? `${problems.join('；')}。` : null,
    });
  }
  for (const extra of byName.values()) reviewed.push({ ...extra, verdict: 'QUALIFIED', opinion: null });

  return { complete: reviewed.every((material) => material.verdict === 'QUALIFIED'), materials: reviewed };
}
