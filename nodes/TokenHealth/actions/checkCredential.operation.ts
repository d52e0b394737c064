/**
 * Check Credential: reads the selected credential's stored token, optionally runs live probes (refresh
 * now, a signed GET of a probe URL, RFC 7662 introspection), and reports healthy | warning | critical
 * with findings. Announces health.checked, token.expiring, refresh.* and refresh.recovered.
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { alertKey } from '../../shared/diagnose/alertState';
import type { CredentialToken, RefreshResult, SelectedCredential } from '../../shared/refresh/tokenState';
import { readCredentialToken, selectedCredential } from '../../shared/refresh/credentialAccess.adapter';
import { forceRefresh } from '../../shared/refresh/sharedRefresh.adapter';
import { reconnectUrlFor } from '../../shared/diagnose/diagnosis';
import { emitEvent, eventContext } from '../../shared/events/eventSink.adapter';
import type { TokenGuardEventData, TokenGuardEventType } from '../../shared/events/events';
import { DEFAULT_MARGIN_MINUTES } from './checkCredential.description';
import type { HealthReport, RefreshProbe } from '../../shared/diagnose/healthCheck';
import { assessHealth } from '../../shared/diagnose/healthCheck';
import { MANUAL_ROTATION_CODE } from '../../shared/diagnose/healthFindings';
import { classifyError, findTokenGuardError } from '../../shared/errors/classification';
import { classificationFor } from '../../shared/classify/taxonomy';
import { toNodeError } from '../../shared/errors/nodeErrors.adapter';
import { booleanFlag, nonNegativeNumber, optionalHttpUrl } from '../../shared/parameters/parameters';
import { checkedParameter } from '../../shared/parameters/parameters.adapter';
import { probeIntrospection, probeUrl } from '../../shared/http/probes.adapter';
import { PROVIDER_LABELS } from '../../shared/classify/providers';
import { redactDeep } from '../../shared/security/redact';
import { summaryFor } from '../../shared/diagnose/remediation';
import type { FailureInput } from '../../shared/diagnose/alertState';
import type { AlertLedger } from '../../shared/diagnose/alertLedger.adapter';
import type { AlertSettings, EmittedEvent, RoutedItem } from './common';
import { alertSettings, combinedDelivery, REPLAY_PARAMETER, routeTo, scopeList, summarizeEvent } from './common';
import { readReplaySettings, recoveredDigest, recoveryDetails, replayBeforeRecovery, replayItems } from './replay';

export { credentials, description } from './checkCredential.description';

async function runRefresh(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
): Promise<{ probe: RefreshProbe; result?: RefreshResult }> {
	try {
		const result = await forceRefresh(ctx, selected);
		return {
			probe: {
				ok: true,
				expiresAtMs: result.expiresAtMs,
				attempts: result.attempts,
				durationMs: result.durationMs,
				...(result.refreshTokenRotated === undefined ? {} : { refreshTokenRotated: result.refreshTokenRotated }),
			},
			result,
		};
	} catch (error) {
		const classification =
			findTokenGuardError(error)?.classification ??
			classifyError(error, { credentialType: selected.type, phase: 'token_endpoint' });
		return { probe: { ok: false, classification } };
	}
}

/** One sentence: healthy, the §5.1 summary of a critical problem, or the finding that needs a look. */
function summaryOf(report: HealthReport, selected: SelectedCredential): string {
	if (report.status === 'healthy') {
		const provider = selected.info.provider === 'unknown' ? '' : `${PROVIDER_LABELS[selected.info.provider]} `;
		return `The ${provider}credential${selected.name ? ` "${selected.name.replace(/"/g, "'")}"` : ''} is healthy.`;
	}
	const worst = report.findings.find((finding) => finding.severity === report.status);
	if (report.status === 'critical' && worst?.category) {
		return summaryFor(classificationFor(worst.category, selected.info.provider, worst.message), selected.name);
	}
	return `The credential${selected.name ? ` "${selected.name.replace(/"/g, "'")}"` : ''} needs attention: ${worst?.message ?? 'see the findings'}`;
}

/**
 * Workflows saved before introspection became credential-owned carry a typed `introspectionUrl`. It
 * still turns introspection on, but the typed address is never used: the credential's endpoint is.
 */
function legacyIntrospectionRequested(ctx: IExecuteFunctions): boolean {
	const legacy = ctx.getNode().parameters.introspectionUrl;
	return typeof legacy === 'string' && legacy.trim() !== '';
}

/** The operation's parameters, all checked before any refresh or probe so a wrong value stops the run first. */
function readCheckParameters(ctx: IExecuteFunctions, itemIndex: number) {
	const marginMinutes = checkedParameter(
		ctx,
		itemIndex,
		{ name: 'expiryMarginMinutes', displayName: 'Expiry Margin (Minutes)', fallback: DEFAULT_MARGIN_MINUTES },
		nonNegativeNumber(String(DEFAULT_MARGIN_MINUTES)),
	);
	const requiredScopes = checkedParameter(
		ctx,
		itemIndex,
		{ name: 'requiredScopes', displayName: 'Required Scopes', fallback: '' },
		scopeList,
	);
	const refreshNow = checkedParameter(
		ctx,
		itemIndex,
		{ name: 'refreshNow', displayName: 'Refresh the Token Too', fallback: false },
		booleanFlag,
	);
	const probeUrlParameter = checkedParameter(
		ctx,
		itemIndex,
		{ name: 'probeUrl', displayName: 'Probe URL', fallback: '' },
		optionalHttpUrl('https://api.example.com/userinfo'),
	);
	const introspect =
		checkedParameter(
			ctx,
			itemIndex,
			{ name: 'introspect', displayName: 'Introspect Token', fallback: false },
			booleanFlag,
		) || legacyIntrospectionRequested(ctx);
	// Checked with the other parameters so a wrong value stops the run before any refresh or probe.
	const settings = alertSettings(ctx, itemIndex);
	const replay = readReplaySettings(ctx, itemIndex, REPLAY_PARAMETER);
	return { marginMinutes, requiredScopes, refreshNow, probeUrlParameter, introspect, settings, replay };
}

type CheckParameters = ReturnType<typeof readCheckParameters>;

/** The stored token and what the live probes the user asked for found. */
async function gatherEvidence(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	parameters: CheckParameters,
	itemIndex: number,
) {
	let token: CredentialToken;
	try {
		token = await readCredentialToken(ctx, selected, itemIndex);
	} catch (error) {
		throw toNodeError(ctx.getNode(), error, { credential: selected, itemIndex });
	}
	const secrets = token.state.secrets;
	const refresh = parameters.refreshNow && token.state.connected ? await runRefresh(ctx, selected) : undefined;
	// Probes after a successful refresh use the token it just stored.
	if (refresh?.result) token = await readCredentialToken(ctx, selected, itemIndex);
	const allSecrets = [...new Set([...secrets, ...token.state.secrets])];
	const probe =
		parameters.probeUrlParameter === undefined
			? undefined
			: await probeUrl(ctx, selected, parameters.probeUrlParameter, token);
	const introspection = parameters.introspect ? await probeIntrospection(ctx, selected, token) : undefined;
	return { token, allSecrets, refresh, probe, introspection };
}

type Evidence = Awaited<ReturnType<typeof gatherEvidence>>;

function assess(
	evidence: Evidence,
	parameters: CheckParameters,
	info: SelectedCredential['info'],
	nowMs: number,
): HealthReport {
	const { token, refresh, probe, introspection } = evidence;
	return assessHealth({
		nowMs,
		provider: info.provider,
		family: info.family,
		token: {
			connected: token.state.connected,
			refreshTokenPresent: token.state.refreshTokenPresent,
			expiry: token.state.expiry,
			scope: token.state.scope,
			claims: token.state.claims,
		},
		marginMs: parameters.marginMinutes * 60_000,
		requiredScopes: parameters.requiredScopes,
		clockSkewMs: probe?.clockSkewMs ?? introspection?.clockSkewMs ?? null,
		...(refresh ? { refresh: refresh.probe } : {}),
		...(probe ? { probe: probe.probe } : {}),
		...(introspection ? { introspection: introspection.probe } : {}),
	});
}

/** A problem is recorded in the alert memory (duplicate or not); a healthy result may end an outage. */
function recordOutcome(
	ledger: AlertLedger,
	report: HealthReport,
	key: string,
	credential: FailureInput['credential'],
	settings: AlertSettings,
	nowMs: number,
) {
	if (report.status === 'healthy') return { duplicate: false, occurrences: 0, recovered: ledger.success(key, nowMs) };
	const decision = ledger.failure({
		key,
		category: report.primaryCategory ?? 'not_auth_related',
		severity: report.status === 'critical' ? 'critical' : 'warning',
		nowMs,
		cooldownMs: settings.cooldownMs,
		credential,
	});
	return { duplicate: decision.duplicate, occurrences: decision.occurrences, recovered: undefined };
}

/** The alert outcome with what the recovery says about the replay it started. */
type AlertOutcome = ReturnType<typeof recordOutcome> & { recovery?: ReturnType<typeof recoveryDetails> };

/** The events of one check, in the order a receiver expects them; repeats inside the cooldown are suppressed. */
async function announce(
	ctx: IExecuteFunctions,
	base: TokenGuardEventData,
	report: HealthReport,
	evidence: Evidence,
	alert: AlertOutcome,
	itemIndex: number,
): Promise<EmittedEvent[]> {
	const { refresh } = evidence;
	const { duplicate, recovered, recovery } = alert;
	const emitted: EmittedEvent[] = [];
	const emit = async (type: TokenGuardEventType, data: TokenGuardEventData, suppress: boolean) =>
		emitted.push(
			summarizeEvent(await emitEvent(ctx, type, data, { itemIndex, suppress, secrets: evidence.allSecrets })),
		);

	if (refresh?.probe.ok) {
		await emit(
			'refresh.succeeded',
			{ ...base, severity: 'info', attempts: refresh.probe.attempts, durationMs: refresh.probe.durationMs },
			false,
		);
	} else if (refresh && !refresh.probe.ok) {
		const { classification } = refresh.probe;
		await emit(
			'refresh.failed',
			{ ...base, category: classification.category, action: classification.action, severity: classification.severity },
			duplicate,
		);
	}
	if (report.expiring === true)
		await emit(
			'token.expiring',
			{ ...base, severity: report.status === 'healthy' ? 'info' : base.severity },
			duplicate,
		);
	await emit('health.checked', base, duplicate);
	if (recovered) {
		await emit(
			'refresh.recovered',
			{
				...base,
				category: recovered.entry.category,
				occurrences: recovered.entry.occurrences,
				workflows: recovered.entry.workflows ?? [],
				details: { ...base.details, ...recoveredDigest(recovered, recovery) },
			},
			false,
		);
	}
	return emitted;
}

function eventBase(
	report: HealthReport,
	credential: TokenGuardEventData['credential'],
	provider: TokenGuardEventData['provider'],
): TokenGuardEventData {
	return {
		credential,
		provider,
		...(report.primaryCategory ? { category: report.primaryCategory } : {}),
		severity: report.status === 'healthy' ? 'info' : report.status,
		expiresAt: report.expiresAt,
		details: {
			status: report.status,
			findings: report.findings.map((finding) => ({ code: finding.code, severity: finding.severity })),
		},
	};
}

function reportJson(
	report: HealthReport,
	selected: SelectedCredential,
	evidence: Evidence,
	alert: AlertOutcome,
	emitted: EmittedEvent[],
	instanceBaseUrl: string,
	nowMs: number,
) {
	const { token, refresh, probe, introspection } = evidence;
	const { recovered, recovery } = alert;
	return {
		status: report.status,
		summary: recovery ? `${summaryOf(report, selected)} ${recovery.recoverySummary}` : summaryOf(report, selected),
		credential: {
			type: selected.type,
			typeName: selected.info.displayName,
			id: selected.id ?? null,
			name: selected.name ?? null,
			reconnectUrl: reconnectUrlFor(instanceBaseUrl, selected.id),
		},
		provider: selected.info.provider,
		checkedAt: new Date(nowMs).toISOString(),
		findings: report.findings,
		refreshTokenPresent: token.state.refreshTokenPresent,
		tokenFingerprint: token.state.tokenFingerprint,
		expiresAt: report.expiresAt,
		expiresInSeconds: report.expiresInSeconds,
		expirySource: report.expirySource,
		expiring: report.expiring,
		grantedScopes: report.grantedScopes,
		missingScopes: report.missingScopes,
		clockSkewMs: report.clockSkewMs,
		jwt: report.jwt,
		refresh: refresh?.result
			? {
					attempts: refresh.result.attempts,
					durationMs: refresh.result.durationMs,
					refreshTokenRotated: refresh.result.refreshTokenRotated ?? null,
				}
			: null,
		probe:
			probe?.probe.kind === 'answered' ? { httpCode: probe.probe.status, durationMs: probe.probe.durationMs } : null,
		introspection:
			introspection?.probe.kind === 'answered'
				? { tokenKind: introspection.probe.tokenKind, active: introspection.probe.active }
				: null,
		duplicate: alert.duplicate,
		occurrences: alert.occurrences,
		...(recovered ? { recovered: recoveredDigest(recovered, recovery) } : {}),
		events: emitted,
		delivery: combinedDelivery(emitted),
	};
}

// One editor hint per run, however many items found the same risk.
const hintedRuns = new WeakSet<IExecuteFunctions>();

/** Findings that are a risk of the set-up rather than the credential's state show as a warning in the editor. */
function warnInEditor(ctx: IExecuteFunctions, report: HealthReport): void {
	const finding = report.findings.find((candidate) => candidate.code === MANUAL_ROTATION_CODE);
	if (finding === undefined || hintedRuns.has(ctx)) return;
	hintedRuns.add(ctx);
	ctx.addExecutionHints({
		message: `${finding.message} ${finding.remediation}`,
		type: 'warning',
		location: 'outputPane',
	});
}

export async function execute(
	this: IExecuteFunctions,
	_item: INodeExecutionData,
	itemIndex: number,
	ledger: AlertLedger,
): Promise<RoutedItem> {
	const selected = selectedCredential(this, itemIndex);
	const context = eventContext(this);
	const parameters = readCheckParameters(this, itemIndex);
	const evidence = await gatherEvidence(this, selected, parameters, itemIndex);
	const nowMs = Date.now();
	const report = assess(evidence, parameters, selected.info, nowMs);
	warnInEditor(this, report);

	const key = alertKey({
		credentialId: selected.id,
		workflowId: context.workflow.id,
		category: report.primaryCategory ?? 'not_auth_related',
	});
	const credential = {
		type: selected.type,
		...(selected.id ? { id: selected.id } : {}),
		...(selected.name ? { name: selected.name } : {}),
	};
	// Replays run before the success is recorded: a key without the execution scopes leaves the episode open.
	const replay =
		report.status === 'healthy'
			? await replayBeforeRecovery(this, ledger, key, parameters.replay, context.instanceBaseUrl, itemIndex)
			: undefined;
	const outcome = recordOutcome(ledger, report, key, credential, parameters.settings, nowMs);
	const alert: AlertOutcome = {
		...outcome,
		recovery: outcome.recovered && recoveryDetails(outcome.recovered, replay, parameters.replay),
	};
	const emitted = await announce(
		this,
		eventBase(report, credential, selected.info.provider),
		report,
		evidence,
		alert,
		itemIndex,
	);
	const json = reportJson(report, selected, evidence, alert, emitted, context.instanceBaseUrl, nowMs);
	return {
		// Findings quote provider texts via the classifier's reasons; the last guard is redaction with the credential's secrets.
		item: { json: redactDeep(json, evidence.allSecrets) as unknown as INodeExecutionData['json'] },
		route: routeTo(report.status !== 'healthy', alert.duplicate, parameters.settings),
		followers: replayItems(replay),
	};
}
