import type { PlatformEvent } from '../../adapters/platform.port.js';
import type { HandedInMaterial } from '../../domain/workflow/formal-review.js';
import type { CaseCertificate, CaseRecord, ResultDelivery, TransferChannel } from '../cases/case.model.js';
import type { ReceiveApplicationInput } from './application-input.js';
import { CaseTransitions, type WorkflowDeps } from './case-transition.js';
import { EvaluationStage } from './evaluation.stage.js';
import { JurisdictionStage } from './jurisdiction.stage.js';
import { ReceiptStage, type ReceiptResult } from './receipt.stage.js';
import { ResultStage } from './result.stage.js';
import { CertificateStage } from './certificate.stage.js';
import { ScansStage } from './scans.stage.js';
import { TransferStage } from './transfer.stage.js';

/**
 * The 通办 workflow as the GraphQL surface and the workers both drive it: one
 * entry per change a person, a platform or a job can ask for, each handled by
 * the stage it belongs to, all writing through one transition helper.
 */
export class CaseWorkflow {
  private readonly transitions: CaseTransitions;
  private readonly receipt: ReceiptStage;
  private readonly scans: ScansStage;
  private readonly transfer: TransferStage;
  private readonly jurisdiction: JurisdictionStage;
  private readonly result: ResultStage;
  private readonly evaluation: EvaluationStage;
  private readonly certificates: CertificateStage;

  constructor(deps: WorkflowDeps) {
    this.transitions = new CaseTransitions(deps);
    this.receipt = new ReceiptStage(this.transitions);
    this.scans = new ScansStage(this.transitions);
    this.transfer = new TransferStage(this.transitions);
    this.jurisdiction = new JurisdictionStage(this.transitions);
    this.result = new ResultStage(this.transitions);
    this.evaluation = new EvaluationStage(this.transitions);
    this.certificates = new CertificateStage(this.transitions);
  }

  receiveApplication(input: ReceiveApplicationInput, actor: string): Promise<ReceiptResult> {
    return this.receipt.receiveApplication(input, actor);
  }

  resubmitCorrections(businessNo: string, handedIn: HandedInMaterial[], actor: string): Promise<ReceiptResult> {
    return this.receipt.resubmitCorrections(businessNo, handedIn, actor);
  }

  abandon(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.receipt.abandon(businessNo, actor);
  }

  attachMaterialFile(businessNo: string, material: string, uploadId: string, actor: string): Promise<CaseRecord> {
    return this.scans.attachMaterialFile(businessNo, material, uploadId, actor);
  }

  removeMaterialFile(businessNo: string, material: string, sha256: string, actor: string): Promise<CaseRecord> {
    return this.scans.removeMaterialFile(businessNo, material, sha256, actor);
  }

  recordScanTransferred(businessNo: string, sha256: string, receipt: { fileId: string; receivedAt: string }, actor: string, read?: CaseRecord): Promise<CaseRecord> {
    return this.scans.recordScanTransferred(businessNo, sha256, receipt, actor, read);
  }

  dispatchMaterials(businessNo: string, channel: TransferChannel, actor: string): Promise<CaseRecord> {
    return this.transfer.dispatchMaterials(businessNo, channel, actor);
  }

  recordPaperSent(businessNo: string, at: string, actor: string): Promise<CaseRecord> {
    return this.transfer.recordPaperSent(businessNo, at, actor);
  }

  recordForwarded(businessNo: string, platformCaseId: string, actor: string, read?: CaseRecord): Promise<CaseRecord> {
    return this.transfer.recordForwarded(businessNo, platformCaseId, actor, read);
  }

  confirmMaterialsReceived(businessNo: string, actor: string, courierAt?: string): Promise<CaseRecord> {
    return this.transfer.confirmMaterialsReceived(businessNo, actor, courierAt);
  }

  applyPlatformEvent(event: PlatformEvent, actor: string): Promise<CaseRecord | null> {
    return this.jurisdiction.applyPlatformEvent(event, actor);
  }

  recordResultDispatched(businessNo: string, delivery: { method: ResultDelivery; waybillNo?: string | null }, actor: string): Promise<CaseRecord> {
    return this.result.recordResultDispatched(businessNo, delivery, actor);
  }

  recordResultAtWindow(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.result.recordResultAtWindow(businessNo, actor);
  }

  notifyApplicantForPickup(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.result.notifyApplicantForPickup(businessNo, actor);
  }

  recordApplicantNotified(businessNo: string, receipt: { messageId: string; acceptedAt: string }, actor: string): Promise<CaseRecord> {
    return this.result.recordApplicantNotified(businessNo, receipt, actor);
  }

  recordReceivingWindowFeedback(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.result.recordReceivingWindowFeedback(businessNo, actor);
  }

  recordDelivered(businessNo: string, actor: string): Promise<CaseRecord> {
    return this.result.recordDelivered(businessNo, actor);
  }

  recordCertificate(businessNo: string, certificate: CaseCertificate, actor: string): Promise<CaseRecord> {
    return this.certificates.recordCertificate(businessNo, certificate, actor);
  }

  recordCertificateRevoked(businessNo: string, revocation: { revokedAt: string; reason: string }, actor: string): Promise<CaseRecord> {
    return this.certificates.recordCertificateRevoked(businessNo, revocation, actor);
  }

  evaluate(businessNo: string, score: number, comment: string | null | undefined, actor: string): Promise<CaseRecord> {
    return this.evaluation.evaluate(businessNo, score, comment, actor);
  }

  get(businessNo: string): Promise<CaseRecord> {
    return this.transitions.get(businessNo);
  }
}
