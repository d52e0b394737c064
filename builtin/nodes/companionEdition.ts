/**
 * The companion package's nodes are the core nodes with another credential list: n8n's built-in OAuth2 types
 * instead of Token Guard's own, and the companion's webhook credential instead of the core's. Deriving them from
 * the core descriptions keeps one definition of every field, operation and option (docs/ARCHITECTURE.md#packages).
 */
import type {
	ICredentialsDisplayOptions,
	INodeCredentialDescription,
	INodeProperties,
	INodeTypeDescription,
} from 'n8n-workflow';

import {
	BUILT_IN_CREDENTIAL_TYPES,
	BUILT_IN_WEBHOOK_CREDENTIAL_TYPE,
	CREDENTIAL_TYPE_PARAMETER,
	credentialChoice,
	credentialTypeInfo,
	N8N_API_CREDENTIAL_TYPE,
	WEBHOOK_CREDENTIAL_TYPE,
} from '../../nodes/shared/credentialCatalog';
import { REPLAY_PARAMETERS } from '../../nodes/TokenHealth/actions/replay';

const builtInChoice = credentialChoice(
	BUILT_IN_CREDENTIAL_TYPES,
	"Which of n8n's built-in OAuth2 credential types to use (Gmail, Google Sheets, Outlook, Salesforce…). For Token Guard's own credential types use the Token Guard package's nodes.",
);

const isOwnCredentialType = (name: string): boolean => credentialTypeInfo(name)?.builtIn === false;

/** The hide conditions of a core slot without its own credential-type condition (e.g. Token Health's operation). */
function conditionsBesidesType(slot: INodeCredentialDescription): NonNullable<ICredentialsDisplayOptions['hide']> {
	const hide = { ...(slot.displayOptions?.hide ?? {}) };
	delete hide[CREDENTIAL_TYPE_PARAMETER];
	return hide;
}

function companionCredentials(core: INodeCredentialDescription[]): INodeCredentialDescription[] {
	const ownSlot = core.find((slot) => isOwnCredentialType(slot.name));
	const extraHide = ownSlot ? conditionsBesidesType(ownSlot) : {};
	const builtInSlots = ownSlot
		? builtInChoice.slots.map((slot) => ({
				...slot,
				displayOptions: { hide: { ...extraHide, ...slot.displayOptions?.hide } },
			}))
		: [];
	// The n8n API serves Audit Credentials and Diagnose Error, which stay in the core: the companion has no such slot.
	const others = core
		.filter((slot) => !isOwnCredentialType(slot.name) && slot.name !== N8N_API_CREDENTIAL_TYPE)
		.map((slot) =>
			slot.name === WEBHOOK_CREDENTIAL_TYPE ? { ...slot, name: BUILT_IN_WEBHOOK_CREDENTIAL_TYPE } : slot,
		);
	return [...builtInSlots, ...others];
}

/** Whether a field is shown for at least one of the offered operations (or does not depend on the operation). */
function shownFor(property: INodeProperties, operations: string[] | undefined): boolean {
	const forOperations = property.displayOptions?.show?.operation;
	if (operations === undefined || !Array.isArray(forOperations)) return true;
	return forOperations.some((operation) => typeof operation === 'string' && operations.includes(operation));
}

function companionProperty(property: INodeProperties, operations: string[] | undefined): INodeProperties {
	if (property.name === CREDENTIAL_TYPE_PARAMETER) {
		// The core field for the same node version (same default rule), with the core's display conditions.
		const version = property.displayOptions?.show?.['@version'];
		const match = builtInChoice.properties.find(
			(field) => JSON.stringify(field.displayOptions?.show?.['@version']) === JSON.stringify(version),
		);
		return { ...(match ?? builtInChoice.properties[0]), displayOptions: property.displayOptions };
	}
	if (property.name === 'operation' && operations !== undefined && property.type === 'options') {
		const options = (property.options ?? []).filter(
			(option) => 'value' in option && typeof option.value === 'string' && operations.includes(option.value),
		);
		return { ...property, options, default: operations[0] };
	}
	return property;
}

/**
 * The core node's description with the companion's credentials, limited to `operations` (all of the core's when
 * omitted; fields of the others go too). Each companion node sets its own name, display name and icon over it.
 */
export function companionEdition(core: INodeTypeDescription, operations?: string[]): INodeTypeDescription {
	return {
		...core,
		credentials: companionCredentials(core.credentials ?? []),
		properties: core.properties
			// Replaying needs the N8n (Token Guard) API credential, which the companion's nodes do not take.
			.filter((property) => shownFor(property, operations) && !REPLAY_PARAMETERS.includes(property.name))
			.map((property) => companionProperty(property, operations)),
	};
}
