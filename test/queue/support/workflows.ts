/**
 * Queue-tier workflow pieces on top of test/e2e/support/workflows.ts: a production webhook whose body carries
 * `items` (an array), split into one item each, marked with the worker that ran the execution.
 */
import type { Workflow, WorkflowNode } from '../../e2e/support/workflows';
import { webhookWorkflow } from '../../e2e/support/workflows';
import { WORKER_MARKER_EXPRESSION } from './queueCluster';

export const MARK_WORKER = 'Mark worker';

/** Webhook → Split Out (body.items) → Mark worker (Set: worker = the worker's marker) → nodes… */
export function burstWorkflow(
	id: string,
	name: string,
	path: string,
	nodes: WorkflowNode[],
	settings: Record<string, unknown> = {},
): Workflow {
	return webhookWorkflow(
		id,
		name,
		path,
		[
			{
				name: 'Split items',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				parameters: { fieldToSplitOut: 'body.items', include: 'noOtherFields', options: {} },
			},
			{
				name: MARK_WORKER,
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				parameters: {
					mode: 'manual',
					assignments: {
						assignments: [{ id: 'worker', name: 'worker', value: WORKER_MARKER_EXPRESSION, type: 'string' }],
					},
					options: {},
				},
			},
			...nodes,
		],
		settings,
	);
}

/** `{ items: [0, 1, …, count-1] }`: the body a burst call posts. */
export function burstBody(count: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return { ...extra, items: Array.from({ length: count }, (_, index) => index) };
}
