/**
 * Runs one node for real through n8n-core's `WorkflowExecute`, the engine n8n itself uses.
 *
 * Items are fed straight onto the execution stack: the node under test is the workflow's
 * start node and receives `items` as its main input (no extra input node in runData).
 * Static data follows the CLI rule: n8n-core hands changed static data to the
 * `workflowExecuteAfter` hook in EVERY mode, and n8n's hook saves it only when the mode is
 * not 'manual' — `staticData` in the result is what the next execution would see.
 */
import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import { Workflow, createRunExecutionData } from 'n8n-workflow';
import type {
	ExecutionError,
	IDataObject,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IRun,
	IRunData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import type { HarnessCredentialsHelper } from './credentialsHelper';
import { capturedLogCount, capturedLogsSince, installLogCapture } from './logCapture';
import type { CapturedLogLine } from './logCapture';

export { capturedLogs, clearCapturedLogs } from './logCapture';
export type { CapturedLogLine } from './logCapture';

export const PACKAGE_NAME = 'n8n-nodes-token-guard';

export interface RunNodeOptions {
	/** The node version in the workflow; the newest the node has when omitted. */
	typeVersion?: number;
	/** An instance of the node class under test. */
	nodeType: INodeType;
	/** Default: `n8n-nodes-token-guard.<description.name>`, the type a real install uses. */
	typeName?: string;
	/** Display name of the node in the workflow. Default: the type's displayName. */
	nodeName?: string;
	parameters: INodeParameters;
	/** Node credential references, e.g. `{ googleSheetsOAuth2Api: { id: 'c1', name: 'Sheets' } }`. */
	credentials?: Record<string, { id: string; name: string }>;
	/** Main input of the node under test. Default: one empty item. */
	items?: INodeExecutionData[];
	helper: HarnessCredentialsHelper;
	/** Default 'manual'. Use 'trigger' / 'webhook' / 'error' to get n8n's production behaviour. */
	mode?: WorkflowExecuteMode;
	/** Workflow static data at the start of the execution (carry `result.staticData` forward). */
	staticData?: IDataObject;
	continueOnFail?: boolean;
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	instanceBaseUrl?: string;
	workflowId?: string;
	workflowName?: string;
	executionId?: string;
}

export interface RunExecutionInfo {
	id: string;
	mode: WorkflowExecuteMode;
	/** `${instanceBaseUrl}/workflow/${workflowId}/executions/${executionId}`, as n8n builds it. */
	url: string;
	workflowId: string;
	workflowName: string;
}

export interface RunResult {
	/** Output items of the node under test, per output index ([] where n8n produced none). */
	outputs: INodeExecutionData[][];
	/** `resultData.error`: what n8n would hand to an error workflow as `execution.error`. */
	error?: ExecutionError;
	/** Static data after the run as n8n would persist it (unchanged in 'manual' mode). */
	staticData: IDataObject;
	/** What n8n-core passed to `workflowExecuteAfter` (set whenever the node changed it). */
	staticDataReportedByCore?: IDataObject;
	runData: IRunData;
	lastNodeExecuted?: string;
	/** Log lines captured during this run. */
	logs: CapturedLogLine[];
	execution: RunExecutionInfo;
	/** The node as it ran (parameters, credentials), e.g. to compare with `error.node`. */
	node: INode;
	run: IRun;
}

/** The Error Trigger item n8n would build for a failed run (execute-error-workflow.ts). */
export interface ErrorTriggerItem {
	execution: {
		id: string;
		url: string;
		error: ExecutionError;
		lastNodeExecuted?: string;
		mode: WorkflowExecuteMode;
	};
	workflow: { id: string; name: string };
}

export async function runNode(options: RunNodeOptions): Promise<RunResult> {
	installLogCapture();
	const firstLogLine = capturedLogCount();

	const mode = options.mode ?? 'manual';
	const { description } = options.nodeType;
	const typeName = options.typeName ?? `${PACKAGE_NAME}.${description.name}`;
	const typeVersion =
		options.typeVersion ??
		(Array.isArray(description.version) ? Math.max(...description.version) : description.version);
	const execution: RunExecutionInfo = {
		id: options.executionId ?? 'harness-execution-1',
		mode,
		workflowId: options.workflowId ?? 'harness-workflow-1',
		workflowName: options.workflowName ?? 'Harness Workflow',
		url: '',
	};
	const instanceBaseUrl = options.instanceBaseUrl ?? 'http://localhost:5678';
	execution.url = `${instanceBaseUrl}/workflow/${execution.workflowId}/executions/${execution.id}`;

	const node: INode = {
		id: 'harness-node-1',
		name: options.nodeName ?? description.displayName,
		type: typeName,
		typeVersion,
		position: [0, 0],
		parameters: options.parameters,
		...(options.credentials ? { credentials: options.credentials } : {}),
		...(options.continueOnFail !== undefined ? { continueOnFail: options.continueOnFail } : {}),
		...(options.onError ? { onError: options.onError } : {}),
	};

	const nodeTypes: INodeTypes = {
		getByName: () => options.nodeType,
		getByNameAndVersion: () => options.nodeType,
		getKnownTypes: () => ({}),
	};
	const staticDataIn = structuredClone(options.staticData ?? {});
	const workflow = new Workflow({
		id: execution.workflowId,
		name: execution.workflowName,
		nodes: [node],
		connections: {},
		active: mode !== 'manual',
		nodeTypes,
		staticData: structuredClone(staticDataIn),
		settings: { executionOrder: 'v1' },
	});
	const workflowData: IWorkflowBase = {
		id: execution.workflowId,
		name: execution.workflowName,
		active: workflow.active,
		isArchived: false,
		nodes: [node],
		connections: {},
		settings: workflow.settings,
		createdAt: new Date(),
		updatedAt: new Date(),
		activeVersionId: null,
	};

	let staticDataReportedByCore: IDataObject | undefined;
	const hooks = new ExecutionLifecycleHooks(mode, execution.id, workflowData);
	hooks.addHandler('workflowExecuteAfter', (_run, newStaticData) => {
		// ObservableObject proxies are not structured-cloneable; JSON also drops __dataChanged.
		if (newStaticData) staticDataReportedByCore = JSON.parse(JSON.stringify(newStaticData));
	});

	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node, data: { main: [options.items ?? [{ json: {} }]] }, source: null }],
		},
	});
	const additionalData = buildAdditionalData(options.helper, hooks, execution, instanceBaseUrl);

	const run = await new WorkflowExecute(additionalData, mode, runExecutionData).processRunExecutionData(workflow);

	const taskData = run.data.resultData.runData[node.name]?.[0];
	const outputs = (taskData?.data?.main ?? []).map((items) => items ?? []);
	// The CLI's workflowExecuteAfter hook: `if (!isManualMode && isWorkflowIdValid(id) && newStaticData) save`.
	const persisted = mode !== 'manual' && staticDataReportedByCore !== undefined;

	return {
		outputs,
		error: run.data.resultData.error,
		staticData: persisted ? structuredClone(staticDataReportedByCore as IDataObject) : staticDataIn,
		staticDataReportedByCore,
		runData: run.data.resultData.runData,
		lastNodeExecuted: run.data.resultData.lastNodeExecuted,
		logs: capturedLogsSince(firstLogLine),
		execution,
		node,
		run,
	};
}

/** Builds the Error Trigger input item for a failed run; throws if the run did not fail. */
export function toErrorTriggerItem(
	result: RunResult,
	workflow: { id: string; name: string } = {
		id: result.execution.workflowId,
		name: result.execution.workflowName,
	},
): ErrorTriggerItem {
	if (!result.error) throw new Error('The run did not fail, so n8n would not start an error workflow');
	return {
		execution: {
			id: result.execution.id,
			url: result.execution.url,
			error: result.error,
			lastNodeExecuted: result.lastNodeExecuted,
			mode: result.execution.mode,
		},
		workflow,
	};
}

function buildAdditionalData(
	credentialsHelper: HarnessCredentialsHelper,
	hooks: ExecutionLifecycleHooks,
	execution: RunExecutionInfo,
	instanceBaseUrl: string,
): IWorkflowExecuteAdditionalData {
	const unsupported = (what: string) => async () => {
		throw new Error(`${what} is not supported by the test harness`);
	};
	const additionalData: Partial<IWorkflowExecuteAdditionalData> = {
		credentialsHelper,
		hooks,
		executionId: execution.id,
		workflowId: execution.workflowId,
		currentNodeExecutionIndex: 0,
		instanceBaseUrl,
		restApiUrl: `${instanceBaseUrl}/rest`,
		formBaseUrl: `${instanceBaseUrl}/form`,
		formWaitingBaseUrl: `${instanceBaseUrl}/form-waiting`,
		formTestBaseUrl: `${instanceBaseUrl}/form-test`,
		webhookBaseUrl: `${instanceBaseUrl}/webhook`,
		webhookWaitingBaseUrl: `${instanceBaseUrl}/webhook-waiting`,
		webhookTestBaseUrl: `${instanceBaseUrl}/webhook-test`,
		mcpBaseUrl: `${instanceBaseUrl}/mcp`,
		mcpTestBaseUrl: `${instanceBaseUrl}/mcp-test`,
		variables: {},
		executeWorkflow: unsupported('executeWorkflow'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: unsupported('startRunnerTask'),
	};
	return additionalData as IWorkflowExecuteAdditionalData;
}
