/**
 * The importable workflows in examples/ and their placeholders. Example files carry placeholder
 * credential ids and URLs (the README explains them); tests, the demo and `npm run dev` put local ones in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXAMPLES_DIR = join(__dirname, '..', '..', '..', 'examples');

export type ExampleName =
	'oauth-error-handler' | 'keep-alive' | 'keep-alive-builtin' | 'guarded-api-call' | 'credential-audit';
export const EXAMPLE_NAMES: readonly ExampleName[] = [
	'oauth-error-handler',
	'keep-alive',
	'keep-alive-builtin',
	'guarded-api-call',
	'credential-audit',
];

/** Every placeholder an example may contain, with the string it appears as. */
export const PLACEHOLDERS = {
	oauth2CredentialId: 'REPLACE_WITH_OAUTH2_CREDENTIAL_ID',
	webhookCredentialId: 'REPLACE_WITH_WEBHOOK_CREDENTIAL_ID',
	/** An existing credential of one of n8n's own OAuth2 types (Google Sheets, Gmail, Outlook…). */
	builtInCredentialId: 'REPLACE_WITH_BUILTIN_CREDENTIAL_ID',
	/** An N8n (Token Guard) API credential: this instance's address and an API key (credential-audit). */
	n8nApiCredentialId: 'REPLACE_WITH_N8N_API_CREDENTIAL_ID',
	/** The API the examples call; paths such as /v1/orders/… and /v1/me follow it. */
	apiBaseUrl: 'https://api.example.com',
	alertUrl: 'https://alerts.example.com/token-guard',
} as const;

export type PlaceholderValues = Partial<Record<keyof typeof PLACEHOLDERS, string>>;

export interface ExampleWorkflow {
	id?: string;
	name: string;
	nodes: Array<{
		name: string;
		type: string;
		parameters: Record<string, unknown>;
		credentials?: Record<string, { id: string; name: string }>;
		[key: string]: unknown;
	}>;
	connections: Record<string, unknown>;
	settings: Record<string, unknown>;
	[key: string]: unknown;
}

export function readExample(name: ExampleName): ExampleWorkflow {
	return JSON.parse(readFileSync(join(EXAMPLES_DIR, `${name}.json`), 'utf8')) as ExampleWorkflow;
}

function replaceStrings(value: unknown, replace: (text: string) => string): unknown {
	if (typeof value === 'string') return replace(value);
	if (Array.isArray(value)) return value.map((entry) => replaceStrings(entry, replace));
	if (typeof value === 'object' && value !== null) {
		return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, replaceStrings(entry, replace)]));
	}
	return value;
}

/** Placeholder strings still present anywhere in a workflow (node parameters, credentials, notes excluded). */
export function remainingPlaceholders(workflow: ExampleWorkflow): string[] {
	const found = new Set<string>();
	const withoutNotes = {
		...workflow,
		nodes: workflow.nodes.filter((node) => node.type !== 'n8n-nodes-base.stickyNote'),
	};
	replaceStrings(withoutNotes, (text) => {
		for (const placeholder of Object.values(PLACEHOLDERS)) if (text.includes(placeholder)) found.add(placeholder);
		return text;
	});
	return [...found];
}

/**
 * Placeholder-looking strings (REPLACE_WITH_…, *.example.com URLs) in node parameters and credentials
 * that are not one of PLACEHOLDERS: the README would not explain them and nothing would substitute them.
 */
export function undocumentedPlaceholders(workflow: ExampleWorkflow): string[] {
	const found = new Set<string>();
	const known = Object.values(PLACEHOLDERS) as string[];
	for (const node of workflow.nodes.filter((entry) => entry.type !== 'n8n-nodes-base.stickyNote')) {
		replaceStrings(node, (text) => {
			for (const match of text.matchAll(/REPLACE_WITH_[A-Z0-9_]+|https?:\/\/[a-z0-9.-]*example\.com/gi)) {
				if (!known.some((placeholder) => placeholder.startsWith(match[0]))) found.add(match[0]);
			}
			return text;
		});
	}
	return [...found];
}

/**
 * The example with placeholders replaced. Sticky notes keep the placeholder text: they explain it.
 * Throws when a placeholder the example uses was given no value, so a test never runs against example.com.
 */
export function exampleWorkflow(
	name: ExampleName,
	values: PlaceholderValues,
	overrides: { id?: string; name?: string; settings?: Record<string, unknown> } = {},
): ExampleWorkflow {
	const original = readExample(name);
	const replace = (text: string) =>
		(Object.keys(PLACEHOLDERS) as Array<keyof typeof PLACEHOLDERS>).reduce(
			(result, key) => (values[key] === undefined ? result : result.split(PLACEHOLDERS[key]).join(values[key])),
			text,
		);
	const nodes = original.nodes.map((node) =>
		node.type === 'n8n-nodes-base.stickyNote' ? node : (replaceStrings(node, replace) as typeof node),
	);
	const workflow: ExampleWorkflow = {
		...original,
		nodes,
		...(overrides.id ? { id: overrides.id } : {}),
		...(overrides.name ? { name: overrides.name } : {}),
		settings: { ...original.settings, ...overrides.settings },
	};
	const left = remainingPlaceholders(workflow);
	if (left.length > 0) throw new Error(`example ${name}: no value given for placeholder(s) ${left.join(', ')}`);
	return workflow;
}
