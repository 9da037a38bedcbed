import type { Scenario } from '../scenario.types.js';
import { alertSchedulingScenario } from './alert-scheduling.scenario.js';
import { caseMemoryScenario } from './case-memory.scenario.js';
import { fileTransferScenario } from './file-transfer.scenario.js';
import { ledgerScenario } from './ledger.scenario.js';
import { materialTransferScenario } from './material-transfer.scenario.js';

/** The job scenarios (open issue "Performance", item 3), in the order bench/run.ts runs them. */
export const jobScenarios: Scenario[] = [materialTransferScenario, alertSchedulingScenario, caseMemoryScenario, fileTransferScenario, ledgerScenario];
