import { remediationFor, summaryFor } from '../../nodes/shared/diagnose/remediation';
import { ALL_CATEGORIES } from '../../nodes/shared/classify/taxonomy';
import { PROVIDER_LABELS } from '../../nodes/shared/classify/providers';
import type { Category, Classification, Provider } from '../../nodes/shared/types';

// Every provider the classifier can name, so a new one cannot ship without steps that pass these checks.
const PROVIDERS = Object.keys(PROVIDER_LABELS) as Provider[];

const classification = (category: Category, provider: Provider): Classification => ({
	category,
	provider,
	action: 'none',
	retryable: false,
	severity: 'info',
	reason: 'test',
});

describe('remediationFor', () => {
	const everyPair = ALL_CATEGORIES.flatMap((category) => PROVIDERS.map((provider) => [category, provider] as const));

	it.each(everyPair)('%s / %s gives concrete, distinct steps', (category, provider) => {
		const steps = remediationFor(category, provider);
		expect(steps.length).toBeGreaterThan(0);
		expect(steps.length).toBeLessThanOrEqual(4);
		expect(new Set(steps).size).toBe(steps.length);
		for (const step of steps) {
			expect(step.trim().length).toBeGreaterThan(20);
			expect(step).toMatch(/[.)]$/);
		}
	});

	it.each<[Category, Provider, RegExp[]]>([
		[
			'refresh_token_invalid',
			'google',
			[/Testing/, /7 days/, /In production/, /100 refresh tokens/, /password/, /6 months/],
		],
		['refresh_token_missing', 'google', [/prompt=consent/, /access_type=offline/]],
		['refresh_token_invalid', 'microsoft', [/90 days/, /password reset/]],
		['consent_required', 'microsoft', [/AADSTS65001/, /admin consent/, /multi-factor|MFA/, /Conditional Access/]],
		['client_misconfigured', 'microsoft', [/AADSTS7000222/, /Certificates & secrets/]],
		['refresh_token_invalid', 'box', [/single-use/, /only one process/]],
		['refresh_token_invalid', 'xero', [/30-minute/, /only one process/]],
		['refresh_token_invalid', 'atlassian', [/10-minute/, /single refresher/]],
		['refresh_token_missing', 'dropbox', [/token_access_type=offline/]],
		['rate_limited', 'zoho', [/10 access-token refreshes/, /10 minutes/]],
		['refresh_token_invalid', 'zoho', [/accounts\.zoho\.com/, /\.eu/]],
		['refresh_token_invalid', 'salesforce', [/5 approvals/, /idle timeout|not used/]],
		['scope_insufficient', 'hubspot', [/MISSING_SCOPES/]],
		['scope_insufficient', 'slack', [/missing_scope/]],
		['refresh_token_invalid', 'github', [/single-use/]],
		['clock_skew', 'unknown', [/NTP/, /timedatectl/, /chrony/]],
		['model_api_key', 'openai', [/API key/, /does not help/]],
		['model_api_key', 'google', [/AI Studio/, /API key/]],
		['refresh_token_invalid', 'linkedin', [/60 days/, /365 days/]],
		['refresh_token_invalid', 'notion', [/removed from the workspace/]],
		['refresh_token_invalid', 'shopify', [/uninstalled/]],
		['refresh_token_invalid', 'spotify', [/newest/, /spotify\.com\/account\/apps/]],
		['refresh_token_invalid', 'pipedrive', [/60 days without use/]],
		['scope_insufficient', 'calendly', [/required_scopes/]],
	])('%s / %s mentions the provider rules', (category, provider, patterns) => {
		const text = remediationFor(category, provider).join('\n');
		for (const pattern of patterns) expect(text).toMatch(pattern);
	});

	it('puts the provider-specific steps before the generic ones', () => {
		const google = remediationFor('refresh_token_invalid', 'google');
		const generic = remediationFor('refresh_token_invalid', 'unknown');
		expect(google[0]).toMatch(/Testing/);
		expect(google).toContain(generic[0]);
		expect(generic[0]).toMatch(/Reconnect/);
	});

	it('never tells a model API key problem to reconnect an OAuth credential first', () => {
		for (const provider of PROVIDERS) {
			const [first] = remediationFor('model_api_key', provider);
			expect(first).toMatch(/key/i);
			expect(first).not.toMatch(/^Reconnect/);
		}
	});
});

describe('summaryFor', () => {
	it.each<[Classification, string | undefined, string]>([
		[
			classification('refresh_token_invalid', 'google'),
			'Gmail account',
			'The Google credential "Gmail account" can no longer refresh its access token: the refresh token was revoked, expired or rotated away. Reconnect the credential.',
		],
		[
			classification('refresh_token_missing', 'unknown'),
			undefined,
			'The credential has no refresh token stored, so its access token cannot be renewed. Reconnect the credential with offline access.',
		],
		[
			classification('not_connected', 'microsoft'),
			'  Outlook  ',
			'The Microsoft credential "Outlook" was never connected to an account. Connect the credential.',
		],
		[
			classification('model_api_key', 'openai'),
			'OpenAI account',
			'The OpenAI credential "OpenAI account" has an API key the language-model provider rejected; this is not an OAuth token problem.',
		],
		[
			classification('rate_limited', 'zoho'),
			'My "CRM"',
			'The Zoho credential "My \'CRM\'" is being throttled by the provider; waiting and retrying will help.',
		],
		[
			classification('clock_skew', 'unknown'),
			'',
			"The credential failed because this host's clock disagrees with the provider's clock.",
		],
	])('%j / %s', (input, name, expected) => {
		expect(summaryFor(input, name)).toBe(expected);
	});

	it.each(ALL_CATEGORIES)('%s gives one sentence', (category) => {
		const summary = summaryFor(classification(category, 'slack'), 'Slack bot');
		expect(summary).toMatch(/^The Slack credential "Slack bot" [^\n]+\.$/);
	});
});
