import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { ForceRefresh } from '../../../nodes/ForceRefresh/ForceRefresh.node';
import { router } from '../../../nodes/ForceRefresh/actions/router';
import { companionEdition } from '../companionEdition';

const core = new ForceRefresh().description;

/** Force Refresh for n8n's built-in OAuth2 credentials: the core node's operations, engine and fields. */
export class ForceRefreshBuiltIn implements INodeType {
	description: INodeTypeDescription = {
		...companionEdition(core),
		displayName: 'Force Refresh (Built-in Credentials)',
		name: 'forceRefreshBuiltIn',
		icon: { light: 'file:../../icons/forceRefreshBuiltIn.svg', dark: 'file:../../icons/forceRefreshBuiltIn.dark.svg' },
		description:
			"Refresh n8n's built-in OAuth2 credentials (Gmail, Google Sheets, Outlook…) now or before they expire, and make HTTP requests that survive token expiry",
		subtitle: core.subtitle,
		usableAsTool: true,
		defaults: { name: 'Force Refresh (Built-in Credentials)' },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
