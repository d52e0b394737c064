import type { INode } from 'n8n-workflow';
import { isDomainAllowed, LoggerProxy } from 'n8n-workflow';

import {
	credentialEndpointBoundary,
	typedUrlBoundary,
	useDomainFunctionsForTesting,
} from '../../nodes/shared/security/domainRestriction.adapter';

const node: INode = {
	id: 'n1',
	name: 'Force Refresh',
	type: 'n8n-nodes-token-guard.forceRefresh',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const restricted = { allowedHttpRequestDomains: 'domains', allowedDomains: 'sheets.googleapis.com' };

afterEach(() => useDomainFunctionsForTesting(undefined));

/** n8n-workflow 1.x (n8n 1.123) exports only the matcher, with the URL as its first argument; n8n's own matcher. */
const n8nWorkflow1x = {
	isDomainAllowed: (url: string, options: { allowedDomains: string }) =>
		isDomainAllowed({ url, allowedDomains: options.allowedDomains }),
};

// The same rules on both shapes of n8n-workflow, detected from what it exports.
describe.each([
	['n8n-workflow 2.x (credential-domain-restrictions)', undefined],
	['n8n-workflow 1.x (isDomainAllowed(url, { allowedDomains }) only)', n8nWorkflow1x],
])('%s', (_shape, functions) => {
	beforeEach(() => useDomainFunctionsForTesting(functions));

	describe('a URL typed into a node', () => {
		it('inside the list: the list travels with the request and no credential crosses origins', () => {
			expect(typedUrlBoundary(node, restricted, 'https://sheets.googleapis.com/v4/x')).toEqual({
				allowedDomains: 'sheets.googleapis.com',
				sendCredentialsOnCrossOriginRedirect: false,
			});
		});

		it("outside the list: n8n's own refusal, naming the host", () => {
			expect(() => typedUrlBoundary(node, restricted, 'https://attacker.example/?q=1')).toThrow(
				'Domain not allowed: This credential is restricted from accessing attacker.example. Only the following domains are allowed: sheets.googleapis.com',
			);
		});

		it('none: refused like the HTTP Request node', () => {
			expect(() =>
				typedUrlBoundary(node, { allowedHttpRequestDomains: 'none' }, 'https://sheets.googleapis.com'),
			).toThrow('This credential is configured to prevent use within an HTTP Request or Token Guard node');
		});

		it('all, or no setting: no list, still no credential across origins', () => {
			expect(typedUrlBoundary(node, { allowedHttpRequestDomains: 'all' }, 'https://any.example')).toEqual({
				sendCredentialsOnCrossOriginRedirect: false,
			});
			expect(typedUrlBoundary(node, {}, 'https://any.example')).toEqual({
				sendCredentialsOnCrossOriginRedirect: false,
			});
		});
	});

	describe('an endpoint the credential declares', () => {
		it('follows no redirect and keeps an explicit list', () => {
			expect(credentialEndpointBoundary(restricted, 'https://sheets.googleapis.com/token', node)).toEqual({
				allowedDomains: 'sheets.googleapis.com',
				disableFollowRedirect: true,
			});
			expect(() => credentialEndpointBoundary(restricted, 'https://oauth2.example/token', node)).toThrow(
				/Domain not allowed/,
			);
		});

		it("none does not stop the credential's own requests (n8n's rule for its token exchange)", () => {
			expect(credentialEndpointBoundary({ allowedHttpRequestDomains: 'none' }, 'https://auth.example/token')).toEqual({
				disableFollowRedirect: true,
			});
		});
	});
});

describe('an n8n without the domain functions', () => {
	it('follows no redirect with a credential and says so once in the log', () => {
		const warnings: string[] = [];
		LoggerProxy.init({
			warn: (message: string) => warnings.push(message),
			error: () => {},
			info: () => {},
			debug: () => {},
		} as never);
		useDomainFunctionsForTesting({});
		expect(typedUrlBoundary(node, restricted, 'https://attacker.example')).toEqual({ disableFollowRedirect: true });
		expect(credentialEndpointBoundary(restricted, 'https://attacker.example')).toEqual({ disableFollowRedirect: true });
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toMatch(/Allowed HTTP Request Domains" cannot be applied/);
	});

	it("2.x's options-object matcher on its own is not taken for the 1.x shape", () => {
		LoggerProxy.init({ warn: () => {}, error: () => {}, info: () => {}, debug: () => {} } as never);
		useDomainFunctionsForTesting({ isDomainAllowed });
		expect(typedUrlBoundary(node, restricted, 'https://attacker.example')).toEqual({ disableFollowRedirect: true });
	});
});
