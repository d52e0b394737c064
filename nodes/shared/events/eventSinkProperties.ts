/**
 * The "Send Events to Webhook" switch, its delivery options and the webhook credential slot that both
 * nodes add to their parameters. What the sink does with them lives in eventSink.adapter.ts.
 */
import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { WEBHOOK_CREDENTIAL_TYPE } from '../credentialCatalog';

export const SEND_EVENTS_PARAMETER = 'sendEvents';
export const EVENT_DELIVERY_PARAMETER = 'eventDelivery';

/** Default per-attempt timeout: a monitoring receiver that needs longer is not answering. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 5000;

export const eventSinkProperties: INodeProperties[] = [
	{
		displayName: 'Send Events to Webhook',
		name: SEND_EVENTS_PARAMETER,
		type: 'boolean',
		default: false,
		description:
			"Whether to POST each event (CloudEvents JSON, signed per Standard Webhooks) to the Token Guard Webhook credential. Events always go to the item and to n8n's log.",
	},
	{
		displayName: 'Event Delivery Options',
		name: EVENT_DELIVERY_PARAMETER,
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: { show: { [SEND_EVENTS_PARAMETER]: [true] } },
		options: [
			{
				displayName: 'Fail on Delivery Error',
				name: 'failOnDeliveryError',
				type: 'boolean',
				default: false,
				description:
					'Whether a webhook that cannot be reached after retries fails the node. Off: the failure is reported in the item\'s "delivery" field and the workflow goes on.',
			},
			{
				displayName: 'Timeout (Ms)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 100 },
				default: DEFAULT_DELIVERY_TIMEOUT_MS,
				description: 'How long one delivery attempt may take, in milliseconds. Up to 3 attempts are made.',
			},
		],
	},
];

/** Shown while Send Events to Webhook is on. `hide`, not `show`, keeps the switch itself in n8n's panel. */
export const eventSinkCredentialSlot: INodeCredentialDescription = {
	name: WEBHOOK_CREDENTIAL_TYPE,
	required: true,
	displayOptions: { hide: { [SEND_EVENTS_PARAMETER]: [false] } },
};
