import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { TokenHealth } from '../../../nodes/TokenHealth/TokenHealth.node';
import { router } from '../../../nodes/TokenHealth/actions/router';
import { companionEdition } from '../companionEdition';

const core = new TokenHealth().description;

/**
 * Check Credential for n8n's built-in OAuth2 credentials. Diagnose Error needs no credential, so it stays in
 * the core package's Token Health node, which installs everywhere.
 */
export class TokenHealthBuiltIn implements INodeType {
	description: INodeTypeDescription = {
		...companionEdition(core, ['checkCredential']),
		displayName: 'Token Health (Built-in Credentials)',
		name: 'tokenHealthBuiltIn',
		icon: { light: 'file:../../icons/tokenHealthBuiltIn.svg', dark: 'file:../../icons/tokenHealthBuiltIn.dark.svg' },
		description:
			"Check n8n's built-in OAuth2 credentials (Gmail, Google Sheets, Outlook…): can they still refresh, when do they expire, which scopes",
		subtitle: core.subtitle,
		usableAsTool: true,
		defaults: { name: 'Token Health (Built-in Credentials)' },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
