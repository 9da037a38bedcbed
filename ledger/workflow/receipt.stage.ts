import type { CatalogItem } from '../../adapters/platform.port.js';
import { shanghaiDateOf } from '../../domain/calendar/index.js';
import { applyClockEvent, NEW_CLOCK, stageDeadline } from '../../domain/clock/index.js';
import { DomainError, InputError, NotFoundError } from '../../domain/errors.js';
import { closureAt, describeClosure } from '../../domain/hours/index.js';
import { validatePhone } from '../../domain/identifiers/index.js';
import { regionOfDivision } from '../../domain/region.js';
import { formatBusinessNo } from '../../domain/workflow/business-number.js';
import { assertTransition } from '../../domain/workflow/case-stages.js';
import { reviewMaterials, type HandedInMaterial } from '../../domain/workflow/formal-review.js';
import { deriveScope } from '../../domain/workflow/scope.js';
import type { CaseRecord } from '../cases/case.model.js';
import type { RecordedSubmission, SubmissionRequest } from '../cases/case.store.js';
import type { WindowRecord } from '../windows/window.model.js';
import { requireText, submissionRequest, validateApplicant, validateDelivery, validateMaterials, type ReceiveApplicationInput } from './application-input.js';
import type { CaseTransitions } from './case-transition.js';
import { assertApplicable } from './item-availability.js';

export interface ReceiptResult {
  record: CaseRecord;
  noticeId: string;
}

/** 收件审查 and 补正: what the receiving window does before the materials travel (seed 000 二(一)). */
export class ReceiptStage {
  constructor(private readonly t: CaseTransitions) {}

  /**
   * 收件审查 (seed 000 二(一)): checks identity, window and item, reviews every
   * material against the owning platform's list, and records either a received
   * case (收件通知书, clock started) or a deficient one (一次性告知书).
   */
  async receiveApplication(input: ReceiveApplicationInput, actor: string): Promise<ReceiptResult> {
    const now = this.t.deps.now().toISOString();
    const applicant = validateApplicant(input.applicant, now);
    const contact = { name: requireText(input.contact.name, '联系人'), phone: validatePhone(input.contact.phone) };
    const delivery = validateDelivery(input.delivery);
    const handler = requireText(input.handler, '经办人');
    const materials = validateMaterials(input.materials);
    // Before a retry is recognised: its key lives in the partition of the window's division (case-partitions.ts).
    const window = await this.t.window(input.windowId);
    const request = submissionRequest(input, actor, window.divisionCode, { applicant, contact, delivery, handler, materials });
    if (request) {
      // Before anything is allocated: a retry takes no business number, so the day's numbers stay without gaps.
      const recorded = await this.t.deps.store.findSubmission(request);
      if (recorded) return this.replayed(request, recorded);
    }

    if (!window.active || !window.roles.includes('RECEIVING')) {
      throw new DomainError('WINDOW.NOT_RECEIVING', `${window.name}不是在用的通办收件窗口`);
    }
    const closure = closureAt(window.hours, now, this.t.deps.calendar);
    if (closure) throw new DomainError('WINDOW.CLOSED', `${window.name}现不办理收件：${describeClosure(closure, shanghaiDateOf(now))}`);
    const item = assertApplicable(await this.t.item(input.itemCode));
    const scope = deriveScope(window.divisionCode, item.divisionCode, item.scopes);
    const jurisdiction = await this.jurisdictionWindow(item, input.jurisdictionWindowId);

    const review = reviewMaterials(item.materials, materials);
    const sequence = await this.t.deps.store.nextSequence(window.divisionCode, shanghaiDateOf(now));
    const businessNo = formatBusinessNo(shanghaiDateOf(now), window.divisionCode, sequence);
    const record: CaseRecord = {
      version: 1,
      businessNo,
      scope,
      stage: review.complete ? 'RECEIVED' : 'DEFICIENT',
      itemCode: item.code,
      jurisdictionRegion: item.region,
      item: {
        name: item.name,
        legalName: item.legalName,
        department: item.department,
        legalLimitDays: item.legalLimitDays,
        promisedLimitDays: item.promisedLimitDays,
        sampleData: item.sampleData,
        powerType: item.powerType,
      },
      applicant,
      contact,
      delivery,
      receivingWindowId: window.id,
      jurisdictionWindowId: jurisdiction.id,
      receivingDivisionCode: window.divisionCode,
      handler,
      materials: review.materials,
      appliedAt: now,
      acceptedAt: review.complete ? now : null,
      correction: review.complete ? null : this.correctionDeadline(now),
      transfer: null,
      platformCaseId: null,
      platformStage: null,
      decision: null,
      refusalReasons: [],
      result: null,
      clock: review.complete ? applyClockEvent(NEW_CLOCK, { type: 'START', at: now }) : NEW_CLOCK,
      notices: [{ id: 'N1', kind: review.complete ? 'RECEIPT' : 'DEFICIENCY', issuedAt: now, materials: review.materials }],
      evaluation: null,
      updatedAt: now,
    };
    const event = this.t.event(review.complete ? 'RECEIVED' : 'DEFICIENCY_NOTICE_ISSUED', now, actor, {
      windowId: window.id,
      itemCode: item.code,
      verdicts: review.materials.map((m) => [m.name, m.verdict]),
    });
    const written = await this.t.deps.store.create(record, event, request ?? undefined, this.t.deps.alerts.changes(null, record));
    if (written.status === 'DUPLICATE') return this.replayed(request!, written);
    if (written.status !== 'WRITTEN') throw new DomainError('CASE.CONFLICT', `业务编号 ${businessNo} 已被占用，请重试`);
    return { record, noticeId: 'N1' };
  }

  /** A request key seen before: the same application gets its case back; a different one under the same key is refused. */
  private async replayed(request: SubmissionRequest, recorded: RecordedSubmission): Promise<ReceiptResult> {
    if (recorded.inputDigest !== request.inputDigest) {
      throw new DomainError('CASE.REQUEST_KEY_REUSED', '该请求标识已用于另一份申请，请为新的申请使用新的请求标识');
    }
    const existing = await this.t.deps.store.get(recorded.businessNo);
    if (!existing) throw new NotFoundError('CASE.NOT_FOUND', `办件 ${recorded.businessNo} 不存在`);
    return { record: existing, noticeId: existing.notices.at(-1)!.id };
  }

  /** 补齐补正: continues a deficient application; past the correction deadline it is abandoned (视为放弃). */
  async resubmitCorrections(businessNo: string, handedIn: HandedInMaterial[], actor: string): Promise<ReceiptResult> {
    const materials = validateMaterials(handedIn);
    const current = await this.t.get(businessNo);
    assertTransition(current.stage, 'CORRECTED');
    const now = this.t.deps.now().toISOString();
    if (Date.parse(now) > Date.parse(current.correction!.dueAt)) {
      await this.abandon(businessNo, actor);
      throw new DomainError('CASE.CORRECTION_DEADLINE_PASSED', `补正期限 ${current.correction!.deadline} 已过，视为申请人放弃本次申请`);
    }
    const item = await this.t.item(current.itemCode);
    const byName = new Map<string, HandedInMaterial>();
    for (const material of current.materials) if (material.verdict === 'QUALIFIED') byName.set(material.name, material);
    for (const material of materials) byName.set(material.name, material);
    const review = reviewMaterials(item.materials, [...byName.values()]);

    const updated = await this.t.apply(businessNo, review.complete ? 'CORRECTED' : 'STILL_DEFICIENT', actor, (record) => {
      const noticeId = `N${record.notices.length + 1}`;
      return {
        record: {
          ...record,
          stage: review.complete ? 'RECEIVED' : 'DEFICIENT',
          materials: review.materials,
          acceptedAt: review.complete ? now : null,
          clock: review.complete ? applyClockEvent(record.clock, { type: 'START', at: now }) : record.clock,
          notices: [
            ...record.notices,
            { id: noticeId, kind: review.complete ? 'RECEIPT' : 'DEFICIENCY', issuedAt: now, materials: review.materials },
          ],
        },
        type: review.complete ? 'RECEIVED' : 'DEFICIENCY_NOTICE_ISSUED',
        data: { verdicts: review.materials.map((m) => [m.name, m.verdict]) },
      };
    });
    return { record: updated, noticeId: updated.notices.at(-1)!.id };
  }

  /** The correction deadline passed without corrections: the application is treated as abandoned. */
  abandon(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.t.apply(businessNo, 'ABANDON', actor, (record) => ({
      record: { ...record, stage: 'ABANDONED' },
      type: 'ABANDONED',
      data: { correctionDeadline: record.correction?.deadline },
    }));
  }

  private correctionDeadline(now: string) {
    const deadline = stageDeadline('CORRECTION', now, this.t.deps.calendar);
    return { deadline: deadline.dueDate, dueAt: deadline.dueAt, workingDays: deadline.workingDays };
  }

  /** The named window, or the owning region's window for the item's division, else its provincial hall. */
  private async jurisdictionWindow(item: CatalogItem, requested: string | null | undefined): Promise<WindowRecord> {
    if (requested) {
      const window = await this.t.window(requested);
      if (!window.active || !window.roles.includes('JURISDICTION') || regionOfDivision(window.divisionCode) !== item.region) {
        throw new InputError('WINDOW.NOT_JURISDICTION', `${window.name}不是该事项的属地窗口`);
      }
      return window;
    }
    const candidates = (await this.t.deps.windows.list({ region: item.region })).filter(
      (w) => w.active && w.roles.includes('JURISDICTION') && (w.itemCodes.length === 0 || w.itemCodes.includes(item.code)),
    );
    const provincial = `${item.divisionCode.slice(0, 2)}0000`;
    const chosen =
      candidates.find((w) => w.divisionCode === item.divisionCode) ?? candidates.find((w) => w.divisionCode === provincial);
    if (!chosen) throw new NotFoundError('WINDOW.NO_JURISDICTION', `没有受理事项 ${item.code} 的属地窗口`);
    return chosen;
  }
}
