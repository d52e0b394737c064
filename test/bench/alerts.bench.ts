/**
 * P6: alerts per burst of N concurrent failures of one credential — what a dead credential causes in
 * the minute it dies. N error-workflow executions start together through n8n-core's WorkflowExecute,
 * each from the same (empty) workflow static data as n8n hands concurrent executions. Counted: items
 * that alerted (not `duplicate: true`); duplicates send no events. Beside it, the same burst where every
 * execution only has its own copy of static data (no in-process memory), which is what n8n's static data
 * alone gives.
 *
 *   node --require ./test/bench/register.js test/bench/alerts.bench.ts
 */
import type { IDataObject } from 'n8n-workflow';

import { forgetProcessAlertStates } from '../../nodes/shared/diagnose/alertLedger.adapter';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import { errorTriggerItem, nodeError } from '../integration/tokenHealthPayloads';
import { runBenchmarks } from './runner';

const BURSTS = [20, 200];

const deadCredentialFailure = (): IDataObject =>
	errorTriggerItem(
		nodeError({
			message: 'The credential "Gmail account" needs to be reconnected.',
			failure: { cause: 'credential-invalid' },
			nodeType: 'n8n-nodes-base.gmail',
			credentials: { gmailOAuth2: { id: 'cred-p6', name: 'Gmail account' } },
		}),
	);

/** `manual` gives each execution only its own copy of the alert state: static data's semantics alone. */
async function burst(size: number, mode: 'error' | 'manual'): Promise<{ alerts: number; duplicates: number }> {
	forgetProcessAlertStates();
	const node = new TokenHealth();
	const results = await Promise.all(
		Array.from({ length: size }, () =>
			runNode({
				nodeType: node,
				helper: new HarnessCredentialsHelper(),
				mode,
				staticData: {},
				parameters: { operation: 'diagnoseError' },
				items: [{ json: deadCredentialFailure() }],
			}),
		),
	);
	const items = results.flatMap((result) => result.outputs.flat());
	const alerts = items.filter((item) => item.json.duplicate === false).length;
	return { alerts, duplicates: items.length - alerts };
}

async function alertsBench(): Promise<Record<string, unknown>> {
	const rows = [];
	for (const size of BURSTS) {
		rows.push({
			concurrentFailures: size,
			case: 'Token Health (process memory + static data)',
			...(await burst(size, 'error')),
		});
		rows.push({ concurrentFailures: size, case: 'static data alone', ...(await burst(size, 'manual')) });
	}
	return { benchmark: 'alerts-per-burst', credential: 'one dead credential', goal: 1, rows };
}

runBenchmarks({ alerts: alertsBench });
