/**
 * Which service a failure came from. Remediation differs per provider (Google's 7-day Testing-mode
 * tokens, Microsoft's AADSTS codes, Zoho's regional accounts servers…), so every diagnosis names one.
 */
import type { Provider } from '../types';

export interface ProviderHints {
	/** URL of the request that failed (token endpoint or API). The most direct evidence. */
	url?: string;
	/** n8n credential type name, e.g. `gmailOAuth2` or `tokenGuardGoogleOAuth2Api`. */
	credentialType?: string;
	/** n8n node type, e.g. `n8n-nodes-base.gmail` or `@n8n/n8n-nodes-langchain.lmChatOpenAi`. */
	nodeType?: string;
	/** Free error text; searched for host names and provider-only signatures. */
	text?: string;
}

export const PROVIDER_LABELS: Readonly<Record<Provider, string>> = {
	google: 'Google',
	microsoft: 'Microsoft',
	box: 'Box',
	xero: 'Xero',
	atlassian: 'Atlassian',
	salesforce: 'Salesforce',
	hubspot: 'HubSpot',
	zoho: 'Zoho',
	github: 'GitHub',
	slack: 'Slack',
	dropbox: 'Dropbox',
	quickbooks: 'QuickBooks',
	zoom: 'Zoom',
	openai: 'OpenAI',
	anthropic: 'Anthropic',
	linkedin: 'LinkedIn',
	notion: 'Notion',
	shopify: 'Shopify',
	pipedrive: 'Pipedrive',
	zendesk: 'Zendesk',
	calendly: 'Calendly',
	spotify: 'Spotify',
	goto: 'GoTo',
	airtable: 'Airtable',
	exactonline: 'Exact Online',
	supabase: 'Supabase',
	stripe: 'Stripe',
	mistral: 'Mistral AI',
	groq: 'Groq',
	xai: 'xAI',
	unknown: 'the provider',
};

/** Host name suffixes per provider; matched on a dot boundary so `notgoogleapis.com` stays unknown. */
const HOST_SUFFIXES: ReadonlyArray<readonly [Provider, readonly string[]]> = [
	['google', ['googleapis.com', 'accounts.google.com', 'google.com']],
	[
		'microsoft',
		[
			'login.microsoftonline.com',
			'graph.microsoft.com',
			'login.live.com',
			'login.windows.net',
			'outlook.office.com',
			'outlook.office365.com',
			'microsoft.com',
			'sharepoint.com',
		],
	],
	['box', ['box.com']],
	['xero', ['xero.com']],
	['atlassian', ['atlassian.com', 'atlassian.net']],
	['salesforce', ['salesforce.com', 'force.com']],
	['hubspot', ['hubapi.com', 'hubspot.com']],
	['github', ['github.com']],
	['slack', ['slack.com']],
	['dropbox', ['dropboxapi.com', 'dropbox.com']],
	['quickbooks', ['intuit.com']],
	['zoom', ['zoom.us']],
	// Azure OpenAI lives under openai.azure.com: checked before nothing else claims it.
	['openai', ['openai.com', 'openai.azure.com']],
	['anthropic', ['anthropic.com']],
	['linkedin', ['linkedin.com']],
	['notion', ['notion.com', 'notion.so']],
	['shopify', ['myshopify.com', 'shopify.com']],
	['pipedrive', ['pipedrive.com']],
	['zendesk', ['zendesk.com']],
	['calendly', ['calendly.com']],
	['spotify', ['spotify.com']],
	['goto', ['goto.com', 'logmeininc.com', 'gotomeeting.com', 'gotowebinar.com']],
	['airtable', ['airtable.com']],
	['exactonline', ['exactonline.nl', 'exactonline.com', 'exactonline.be', 'exactonline.de', 'exactonline.co.uk']],
	['supabase', ['supabase.co', 'supabase.com']],
	['stripe', ['stripe.com']],
	['mistral', ['mistral.ai']],
	['groq', ['groq.com']],
	['xai', ['x.ai']],
];

// Zoho runs one accounts server per data centre: accounts.zoho.com/.eu/.in/.com.au/.jp/.com.cn/.sa/.ca, zohocloud.ca.
const ZOHO_HOST_RE = /(?:^|\.)zoho(?:apis)?\.(?:com|eu|in|jp|sa|ca|uk|com\.au|com\.cn)$|(?:^|\.)zohocloud\.ca$/;

const URL_HOST_RE = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#\s]*@)?([^/?#:\s]+)/i;
const BARE_HOST_RE = /^((?:[a-z0-9-]{1,63}\.)+[a-z]{2,})(?=[/:?#]|$)/i;
// Error texts wrap URLs in quotes, brackets, JSON and `key=value`; splitting on those is one native pass.
const WORD_SEPARATORS_RE = /[\s"'`<>()[\]{},;|\\=]+/;
const MAX_WORD_LENGTH = 2048;
// Enough of a message to find the host of a failing URL; error texts put it near the start.
const MAX_TEXT_SCAN = 8192;
const MAX_HOSTS_IN_TEXT = 32;

/** Brand names as they appear in n8n credential and node type names, most specific first. */
const TYPE_KEYWORDS: ReadonlyArray<readonly [Provider, RegExp]> = [
	['openai', /openai/],
	['anthropic', /anthropic/],
	['google', /google|gmail|gsuite|youtube|gemini/],
	['microsoft', /microsoft|azure|outlook|onedrive|sharepoint/],
	['dropbox', /dropbox/],
	['hubspot', /hubspot/],
	['salesforce', /salesforce/],
	['xero', /xero/],
	['zoho', /zoho/],
	['github', /github/],
	['slack', /slack/],
	['quickbooks', /quickbooks|intuit/],
	['zoom', /zoom/],
	['atlassian', /atlassian|jira|confluence/],
	['linkedin', /linkedin/],
	['notion', /notion/],
	['shopify', /shopify/],
	['pipedrive', /pipedrive/],
	['zendesk', /zendesk/],
	['calendly', /calendly/],
	['spotify', /spotify/],
	['goto', /gotowebinar|gotomeeting|goto(?:connect)?oauth/],
	['airtable', /airtable/],
	['supabase', /supabase/],
	['stripe', /stripe/],
	['mistral', /mistral/],
	['groq', /groq/],
	['xai', /^xai|grok/],
];
// Box only as a camelCase word of its own: `mailbox`, `inbox` and `dropbox` are not Box.
const BOX_WORD_RE = /(?:^| )box(?: |$)/;

/**
 * Signatures only one provider produces, for texts that carry no host name. Error codes match
 * case-sensitively, exactly as that provider spells them: a generic server's lower-case
 * `bad_refresh_token` (GitHub's spelling too) is not HubSpot's `BAD_REFRESH_TOKEN`, and a code that
 * several providers share never names one. Codes are consulted last, after the URL and the type names.
 */
const TEXT_SIGNATURES: ReadonlyArray<readonly [Provider, RegExp]> = [
	['microsoft', /\bAADSTS\d+/],
	['salesforce', /\bINVALID_SESSION_ID\b/],
	['hubspot', /\bBAD_REFRESH_TOKEN\b|\bMISSING_SCOPES\b/],
	['hubspot', /\bhubspot\b/i],
	['openai', /incorrect api key provided|\bopenai\b/i],
	['anthropic', /\bx-api-key\b|\banthropic\b/i],
	['google', /\bAPI_KEY_INVALID\b/],
	['google', /api key not valid|\bgemini\b|\bgmail\b|\bgoogle\b/i],
	['microsoft', /\bmicrosoft\b|\boutlook\b/i],
	['xero', /\bxero\b/i],
	['zoho', /\bzoho\b/i],
	['salesforce', /\bsalesforce\b/i],
	['atlassian', /\batlassian\b|\bjira\b|\bconfluence\b/i],
	['dropbox', /\bdropbox\b/i],
	['quickbooks', /\bquickbooks\b|\bintuit\b/i],
	['linkedin', /\blinkedin\b/i],
	['notion', /\bnotion\b/i],
	['shopify', /\bshopify\b/i],
	['spotify', /\bspotify\b/i],
	['airtable', /\bairtable\b/i],
	['supabase', /\bsupabase\b/i],
	['stripe', /\bstripe\b/i],
	['zendesk', /\bzendesk\b/i],
	['calendly', /\bcalendly\b/i],
	['pipedrive', /\bpipedrive\b/i],
	['exactonline', /\bexact ?online\b/i],
	// Microsoft IdentityModel (IDX10223 "Lifetime validation failed…") and Graph's CompactToken validation.
	['microsoft', /\bIDX\d{5}\b|lifetime validation failed|compacttoken/i],
];

function providerForHost(host: string): Provider | undefined {
	const normalized = host.toLowerCase().replace(/\.$/, '');
	if (ZOHO_HOST_RE.test(normalized)) return 'zoho';
	for (const [provider, suffixes] of HOST_SUFFIXES) {
		if (suffixes.some((suffix) => normalized === suffix || normalized.endsWith(`.${suffix}`))) return provider;
	}
	return undefined;
}

/** The host of `https://host/...`, `host/...` or `host:port`, or undefined when the word is not one. */
function hostOf(word: string): string | undefined {
	const trimmed = word.trim();
	return URL_HOST_RE.exec(trimmed)?.[1] ?? BARE_HOST_RE.exec(trimmed)?.[1];
}

/** Words of a text that are URLs or host names (`https://oauth2.googleapis.com/token`, `login.example.com:443`). */
export function urlLikeWords(text: string): string[] {
	const scanned = text.length > MAX_TEXT_SCAN ? text.slice(0, MAX_TEXT_SCAN) : text;
	const words: string[] = [];
	for (const word of scanned.split(WORD_SEPARATORS_RE)) {
		if (word.length <= MAX_WORD_LENGTH && word.includes('.') && hostOf(word) !== undefined) words.push(word);
	}
	return words;
}

function providerForUrl(url: string): Provider | undefined {
	const host = hostOf(url);
	return host === undefined ? undefined : providerForHost(host);
}

/** Credential and node type names: strip the package prefix, then look for a brand name. */
function providerForTypeName(typeName: string): Provider | undefined {
	const lastSegment = typeName.slice(typeName.lastIndexOf('.') + 1);
	const joined = lastSegment.toLowerCase();
	for (const [provider, pattern] of TYPE_KEYWORDS) {
		if (pattern.test(joined)) return provider;
	}
	// `tokenGuardBoxOAuth2Api` → `token guard box o auth2 api`.
	const words = lastSegment.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
	return BOX_WORD_RE.test(words) ? 'box' : undefined;
}

function providerForText(text: string): Provider | undefined {
	for (const word of urlLikeWords(text).slice(0, MAX_HOSTS_IN_TEXT)) {
		const provider = providerForUrl(word);
		if (provider) return provider;
	}
	const scanned = text.length > MAX_TEXT_SCAN ? text.slice(0, MAX_TEXT_SCAN) : text;
	for (const [provider, pattern] of TEXT_SIGNATURES) {
		if (pattern.test(scanned)) return provider;
	}
	return undefined;
}

/**
 * Names the provider behind a failure. The failing URL is the strongest hint, then the credential
 * type (the account that failed), then the node type, then whatever the error text mentions.
 */
export function detectProvider(hints: ProviderHints): Provider {
	return (
		(hints.url ? providerForUrl(hints.url) : undefined) ??
		(hints.credentialType ? providerForTypeName(hints.credentialType) : undefined) ??
		(hints.nodeType ? providerForTypeName(hints.nodeType) : undefined) ??
		(hints.text ? providerForText(hints.text) : undefined) ??
		'unknown'
	);
}
