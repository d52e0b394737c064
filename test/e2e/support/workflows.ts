/** Small workflows the e2e tests build around one node under test. */
import { createHash } from 'node:crypto';

export interface WorkflowNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	[key: string]: unknown;
}

export interface Workflow {
	id: string;
	name: string;
	active: boolean;
	settings: Record<string, unknown>;
	nodes: Array<WorkflowNode & { id: string; position: [number, number] }>;
	connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }>;
	[key: string]: unknown;
}

/** A stable uuid-shaped node id, so re-imports of the same workflow keep their node ids. */
function nodeId(workflowId: string, name: string): string {
	const hex = createHash('sha256').update(`${workflowId}/${name}`).digest('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function chain(id: string, name: string, nodes: WorkflowNode[], settings: Record<string, unknown>): Workflow {
	const placed = nodes.map((node, index) => ({
		...node,
		id: nodeId(id, node.name),
		position: [index * 240, 0] as [number, number],
	}));
	const connections: Workflow['connections'] = {};
	for (let index = 0; index + 1 < placed.length; index++) {
		connections[placed[index].name] = { main: [[{ node: placed[index + 1].name, type: 'main', index: 0 }]] };
	}
	return { id, name, active: false, settings: { executionOrder: 'v1', ...settings }, nodes: placed, connections };
}

/** n8n's HTTP Request node: GET `url` with a credential as a *Predefined Credential Type* (n8n refreshes it on 401). */
export function httpGetWithCredential(
	name: string,
	url: string,
	credential: { id: string; name: string; type: string },
): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			method: 'GET',
			url,
			authentication: 'predefinedCredentialType',
			nodeCredentialType: credential.type,
			options: {},
		},
		credentials: { [credential.type]: { id: credential.id, name: credential.name } },
	};
}

/** Manual Trigger → nodes…, for `n8n execute --id`. */
export function manualWorkflow(
	id: string,
	name: string,
	nodes: WorkflowNode[],
	settings: Record<string, unknown> = {},
): Workflow {
	return chain(
		id,
		name,
		[{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} }, ...nodes],
		settings,
	);
}

/** Webhook (POST /webhook/<path>, answers at once) → nodes…: a production trigger for `n8n start`. */
export function webhookWorkflow(
	id: string,
	name: string,
	path: string,
	nodes: WorkflowNode[],
	settings: Record<string, unknown> = {},
): Workflow {
	const webhook: WorkflowNode = {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: nodeId(id, `webhook:${path}`),
		parameters: { path, httpMethod: 'POST', responseMode: 'onReceived', options: {} },
	};
	return chain(id, name, [webhook, ...nodes], settings);
}
