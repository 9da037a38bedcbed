import { assertMayReveal } from '../../lib/case-access.policy.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import { noticePath } from './case.view.js';
import { recordNoticePrint } from './personal-data.audit.js';
import { hasPickupNotice, PICKUP_NOTICE_ID, renderPickup } from './pickup-notice.view.js';
import type { CasesContext } from './server.js';

interface PickupNoticeView {
  record: CaseRecord;
}

const url = (notice: PickupNoticeView) => noticePath(notice.record.businessNo, PICKUP_NOTICE_ID);

/** Case.pickupNotice and its type: the rules of the other notices, a print audited under the note "pickup". */
export const pickupNoticeResolvers = {
  pickupNotice: (kase: CaseRecord): PickupNoticeView | null => (hasPickupNotice(kase) ? { record: kase } : null),
  PickupNotice: {
    businessNo: (notice: PickupNoticeView) => notice.record.businessNo,
    url,
    case: (notice: PickupNoticeView) => notice.record,
    printUrl: (notice: PickupNoticeView, _: unknown, ctx: CasesContext) => {
      assertMayReveal(ctx.caller, notice.record);
      return ctx.noticeLinks.sign(url(notice), ctx.actor, ctx.now());
    },
    html: async (notice: PickupNoticeView, _: unknown, ctx: CasesContext) => {
      assertMayReveal(ctx.caller, notice.record);
      await recordNoticePrint(ctx.store, { businessNo: notice.record.businessNo, actor: ctx.actor, at: ctx.now(), noticeId: PICKUP_NOTICE_ID });
      return renderPickup(notice.record, await ctx.windows.load(notice.record.receivingWindowId), ctx.verifyBaseUrl, ctx.now());
    },
  },
};
