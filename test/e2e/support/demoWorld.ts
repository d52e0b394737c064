/**
 * The local world `npm run demo` and `npm run dev` run the examples in: the OAuth provider
 * (oidc-provider, rotation and reuse detection on), an orders API that retires each access token after
 * a few calls, a probe API, and an alert receiver — all on 127.0.0.1 — plus the demo credentials and
 * workflows that point at them.
 */
import type { MintedGrant, OidcServerHandle } from '../../servers/oidcServer';
import { startOidcServer } from '../../servers/oidcServer';
import type { CredentialRecord } from './credentials';
import { clientFor, connectCredential, webhookCredential } from './credentials';
import type { DemoApi } from './demoApi';
import { startDemoApi } from './demoApi';
import type { ExampleWorkflow } from './examples';
import { exampleWorkflow } from './examples';
import type { ReceivedRequest, WebhookSink } from './webhookSink';
import { startWebhookSink } from './webhookSink';
import type { Workflow } from './workflows';
import { httpGetWithCredential, webhookWorkflow } from './workflows';

export const ORDERS_CALLS_PER_TOKEN = 3;
/** A demo signing secret (Standard Webhooks "whsec_" form); not a secret anywhere else. */
export const DEMO_SIGNING_SECRET = `whsec_${Buffer.from('token-guard-demo-signing-key-0001').toString('base64')}`;

export const DEMO_IDS = {
	ordersCredential: 'demoOrdersApi001',
	keepAliveCredential: 'demoKeepAlive001',
	googleCredential: 'demoGoogleSheet1',
	alertsCredential: 'demoAlertsHook01',
	guardedWorkflow: 'demoGuardedCall1',
	keepAliveWorkflow: 'demoKeepAlive0WF',
	errorHandlerWorkflow: 'demoErrorHandler',
	nightlySyncWorkflow: 'demoNightlySync1',
} as const;

export const DEMO_NAMES = {
	ordersCredential: 'Demo Orders API',
	keepAliveCredential: 'Demo Keep-alive',
	googleCredential: 'Demo Google',
	alertsCredential: 'Demo alerts receiver',
	nightlySyncWorkflow: 'Demo: nightly sheet sync',
} as const;

export const NIGHTLY_SYNC_WEBHOOK_PATH = 'token-guard-demo-nightly-sync';

export interface DemoWorld {
	oidc: OidcServerHandle;
	ordersApi: DemoApi;
	probeApi: DemoApi;
	alerts: WebhookSink;
	grants: { orders: MintedGrant; keepAlive: MintedGrant; google: MintedGrant };
	credentials: CredentialRecord[];
	workflows: Array<ExampleWorkflow | Workflow>;
	stop(): Promise<void>;
}

export async function startDemoWorld(
	options: { onAlert?: (request: ReceivedRequest) => void } = {},
): Promise<DemoWorld> {
	// Access tokens live an hour: mid-run expiry comes from the orders API, not from a race with the clock.
	const oidc = await startOidcServer({ accessTokenTtlSeconds: 3600 });
	const ordersApi = await startDemoApi({ issuer: oidc.issuer, retireTokenAfter: ORDERS_CALLS_PER_TOKEN });
	const probeApi = await startDemoApi({ issuer: oidc.issuer });
	const alerts = await startWebhookSink({ onRequest: options.onAlert });
	const grants = {
		orders: await oidc.mintGrant({ accountId: 'demo-orders' }),
		keepAlive: await oidc.mintGrant({ accountId: 'demo-keep-alive' }),
		google: await oidc.mintGrant({ accountId: 'demo-google', clientId: clientFor(oidc, 'googleSheetsOAuth2Api') }),
	};
	const credentials = [
		connectCredential(oidc, grants.orders, {
			id: DEMO_IDS.ordersCredential,
			name: DEMO_NAMES.ordersCredential,
			type: 'tokenGuardOAuth2Api',
		}),
		connectCredential(oidc, grants.keepAlive, {
			id: DEMO_IDS.keepAliveCredential,
			name: DEMO_NAMES.keepAliveCredential,
			type: 'tokenGuardOAuth2Api',
		}),
		connectCredential(oidc, grants.google, {
			id: DEMO_IDS.googleCredential,
			name: DEMO_NAMES.googleCredential,
			type: 'googleSheetsOAuth2Api',
		}),
		webhookCredential(
			{ id: DEMO_IDS.alertsCredential, name: DEMO_NAMES.alertsCredential },
			alerts.url('token-guard'),
			DEMO_SIGNING_SECRET,
		),
	];
	const workflows: Array<ExampleWorkflow | Workflow> = [
		exampleWorkflow(
			'guarded-api-call',
			{ oauth2CredentialId: DEMO_IDS.ordersCredential, apiBaseUrl: ordersApi.baseUrl },
			{ id: DEMO_IDS.guardedWorkflow },
		),
		exampleWorkflow(
			'keep-alive',
			{
				oauth2CredentialId: DEMO_IDS.keepAliveCredential,
				apiBaseUrl: probeApi.baseUrl,
				alertUrl: alerts.url('keep-alive'),
			},
			{ id: DEMO_IDS.keepAliveWorkflow },
		),
		exampleWorkflow(
			'oauth-error-handler',
			{ webhookCredentialId: DEMO_IDS.alertsCredential },
			{ id: DEMO_IDS.errorHandlerWorkflow },
		),
		// A production workflow that uses the user's existing Google credential through n8n's own HTTP Request node.
		webhookWorkflow(
			DEMO_IDS.nightlySyncWorkflow,
			DEMO_NAMES.nightlySyncWorkflow,
			NIGHTLY_SYNC_WEBHOOK_PATH,
			[
				httpGetWithCredential('Read the sheet', probeApi.url('me'), {
					id: DEMO_IDS.googleCredential,
					name: DEMO_NAMES.googleCredential,
					type: 'googleSheetsOAuth2Api',
				}),
			],
			{ errorWorkflow: DEMO_IDS.errorHandlerWorkflow },
		),
	];
	// Every start begins with empty alert memory (Token Health keeps it in workflow static data, and an
	// import that names staticData replaces it), so the first failure after a start alerts again.
	for (const workflow of workflows) workflow.staticData = null;
	return {
		oidc,
		ordersApi,
		probeApi,
		alerts,
		grants,
		credentials,
		workflows,
		async stop() {
			await Promise.all([oidc.stop(), ordersApi.stop(), probeApi.stop(), alerts.stop()]);
		},
	};
}
