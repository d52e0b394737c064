/**
 * No regular expression that can backtrack may see untrusted input: every regex literal and every
 * `new RegExp(…)` / `RegExp(…)` in nodes/**\/*.ts and credentials/**\/*.ts (found with the TypeScript
 * parser, so none is missed) must be called safe by the ReDoS checker recheck.
 *
 * recheck runs on its pure JavaScript backend: no native binary and no JVM, the same on every machine.
 * Its automaton checker decides exactly; the fuzzer it uses for larger patterns mistakes a bounded window
 * such as `[^.]{0,60}` for polynomial growth, so the automaton takes patterns with up to 100 repetitions
 * in all (default 30). The fuzzer's verdict must not depend on the machine's load, so its attack and
 * incubation runs are bounded by step counts only (their time limits are off); only the whole check has
 * a time limit, far above what any pattern here needs (a few seconds).
 */
import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';
import * as ts from 'typescript';
import { Worker } from 'worker_threads';

import { CODE_IN_TEXT_RE } from '../../nodes/shared/classify/codes';
import type { BodyRule } from '../../nodes/shared/http/expirySignal';
import { matchesBodyRule, MAX_RULE_BODY_CHARS } from '../../nodes/shared/http/expirySignal';
import { JSON_VALUE_PATTERN, PARAM_PATTERN } from '../../nodes/shared/security/redact';

const ROOT = join(__dirname, '..', '..');
const SCANNED_FOLDERS = ['nodes', 'credentials'];

const CHECK_PARAMS = { maxRepeatCount: 100, attackTimeout: null, incubationTimeout: null, timeout: 60_000 };

/** A pattern built at run time, as its module exports it; `userWritten` is a pattern the user typed. */
type Computed = { pattern: () => RegExp } | { userWritten: true };

/** Every `new RegExp(…)` in the package, by file and the variable or function it sits in. */
const COMPUTED: Record<string, Computed> = {
	'nodes/shared/classify/codes.ts#CODE_IN_TEXT_RE': { pattern: () => CODE_IN_TEXT_RE },
	'nodes/shared/security/redact.ts#PARAM_PATTERN': { pattern: () => PARAM_PATTERN },
	'nodes/shared/security/redact.ts#JSON_VALUE_PATTERN': { pattern: () => JSON_VALUE_PATTERN },
	// "Expired When" regex rules are the user's own; what they may read is capped (tested below).
	'nodes/shared/http/expirySignal.ts#parseBodyRule': { userWritten: true },
};

interface FoundRegex {
	where: string;
	file: string;
	source: string;
	flags: string;
}

function typeScriptFiles(folder: string): string[] {
	return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
		const path = join(folder, entry.name);
		if (entry.isDirectory()) return typeScriptFiles(path);
		return entry.name.endsWith('.ts') ? [path] : [];
	});
}

/** The variable, function or method a node sits in, for naming a computed pattern. */
function ownerName(node: ts.Node): string {
	for (let current: ts.Node | undefined = node.parent; current !== undefined; current = current.parent) {
		if (ts.isVariableDeclaration(current) && ts.isIdentifier(current.name)) return current.name.text;
		if ((ts.isFunctionDeclaration(current) || ts.isMethodDeclaration(current)) && current.name !== undefined)
			return current.name.getText();
	}
	return '(top level)';
}

const isRegExpConstructor = (node: ts.Node): node is ts.NewExpression | ts.CallExpression =>
	(ts.isNewExpression(node) || ts.isCallExpression(node)) &&
	ts.isIdentifier(node.expression) &&
	node.expression.text === 'RegExp';

function collect(): {
	literals: FoundRegex[];
	computed: Array<{ key: string; where: string }>;
	textualConstructorCount: number;
} {
	const literals: FoundRegex[] = [];
	const computed: Array<{ key: string; where: string }> = [];
	let textualConstructorCount = 0;
	for (const path of SCANNED_FOLDERS.flatMap((folder) => typeScriptFiles(join(ROOT, folder)))) {
		const file = relative(ROOT, path).split('\\').join('/');
		const text = readFileSync(path, 'utf8');
		textualConstructorCount += text.split('RegExp(').length - 1;
		const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
		const where = (node: ts.Node): string =>
			`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
		const visit = (node: ts.Node): void => {
			if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
				const text = (node as ts.RegularExpressionLiteral).text;
				const close = text.lastIndexOf('/');
				literals.push({ where: where(node), file, source: text.slice(1, close), flags: text.slice(close + 1) });
			} else if (isRegExpConstructor(node)) {
				computed.push({ key: `${file}#${ownerName(node)}`, where: where(node) });
			}
			ts.forEachChild(node, visit);
		};
		visit(source);
	}
	return { literals, computed, textualConstructorCount };
}

const found = collect();

const computedPatterns: FoundRegex[] = found.computed.flatMap(({ key, where }) => {
	const entry = COMPUTED[key];
	if (entry === undefined || !('pattern' in entry)) return [];
	const pattern = entry.pattern();
	return [
		{ where: `${where} (${key.split('#')[1]})`, file: key.split('#')[0], source: pattern.source, flags: pattern.flags },
	];
});

const checked = [...found.literals, ...computedPatterns];

interface Verdict {
	status: 'safe' | 'vulnerable' | 'unknown';
	attack?: string;
	error?: string;
}

const keyOf = (regex: FoundRegex): string => `/${regex.source}/${regex.flags}`;

/**
 * recheck in worker threads: inside Jest's module sandbox its compiled Scala runs about ten times slower,
 * and two workers use both cores. One check per distinct pattern.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('worker_threads');
process.env.RECHECK_BACKEND = 'pure';
const { check } = require(workerData.recheck);
parentPort.on('message', async ({ source, flags }) => {
	const result = await check(source, flags, workerData.params);
	parentPort.postMessage({
		status: result.status,
		attack: result.status === 'vulnerable' ? result.attack.pattern : undefined,
		error: result.status === 'unknown' ? JSON.stringify(result.error) : undefined,
	});
});
`;
const WORKERS = 2;

async function checkAll(regexes: FoundRegex[]): Promise<Map<string, Verdict>> {
	const pending = [...new Map(regexes.map((regex) => [keyOf(regex), regex])).values()].sort(
		(a, b) => b.source.length - a.source.length,
	);
	const verdicts = new Map<string, Verdict>();
	const run = async (): Promise<void> => {
		const worker = new Worker(WORKER_SOURCE, {
			eval: true,
			workerData: { recheck: require.resolve('recheck'), params: CHECK_PARAMS },
		});
		try {
			for (let regex = pending.shift(); regex !== undefined; regex = pending.shift()) {
				const { source, flags } = regex;
				const verdict = await new Promise<Verdict>((resolve, reject) => {
					worker.once('message', resolve);
					worker.once('error', reject);
					worker.postMessage({ source, flags });
				});
				worker.removeAllListeners('error');
				verdicts.set(keyOf(regex), verdict);
			}
		} finally {
			await worker.terminate();
		}
	};
	await Promise.all(Array.from({ length: WORKERS }, run));
	return verdicts;
}

let verdicts = new Map<string, Verdict>();

beforeAll(async () => {
	verdicts = await checkAll(checked);
}, 600_000);

describe('regular expressions in nodes/ and credentials/', () => {
	it('are found by the parser: literals in every file that has them, and each `RegExp(` a text search finds', () => {
		expect(found.literals.length).toBeGreaterThan(100);
		expect(found.literals.map((regex) => regex.file)).toEqual(
			expect.arrayContaining(['nodes/shared/security/redact.ts', 'nodes/shared/oauth/refreshGrant.ts']),
		);
		expect(found.computed.length).toBe(found.textualConstructorCount);
	});

	it('list every computed pattern, and every listed one still exists', () => {
		expect([...new Set(found.computed.map(({ key }) => key))].sort()).toEqual(Object.keys(COMPUTED).sort());
	});

	it.each(checked.map((regex) => [regex.where, `/${regex.source}/${regex.flags}`, regex] as const))(
		'%s %s is called safe by recheck',
		(_where, _pattern, regex) => {
			expect(verdicts.get(keyOf(regex))).toEqual({ status: 'safe' });
		},
	);
});

describe('the user-written "Expired When" regex', () => {
	const seenBy = (body: unknown): number => {
		let seen = -1;
		const pattern = {
			test: (text: string) => {
				seen = text.length;
				return false;
			},
		} as unknown as RegExp;
		const rule: BodyRule = { kind: 'regex', pattern, source: '/x/' };
		matchesBodyRule(rule, body);
		return seen;
	};

	it.each([
		['a string', 'x'.repeat(MAX_RULE_BODY_CHARS * 3)],
		['a Buffer', Buffer.alloc(MAX_RULE_BODY_CHARS * 3, 'x')],
		['a parsed object', { error: 'x'.repeat(MAX_RULE_BODY_CHARS * 3) }],
	])('reads at most MAX_RULE_BODY_CHARS of %s', (_case, body) => {
		expect(MAX_RULE_BODY_CHARS).toBe(65_536);
		expect(seenBy(body)).toBe(MAX_RULE_BODY_CHARS);
	});

	it('never sees what lies past the cap', () => {
		const rule: BodyRule = { kind: 'regex', pattern: /token_expired/, source: '/token_expired/' };
		expect(matchesBodyRule(rule, `${' '.repeat(MAX_RULE_BODY_CHARS)}token_expired`)).toBe(false);
		expect(matchesBodyRule(rule, `${' '.repeat(MAX_RULE_BODY_CHARS - 13)}token_expired`)).toBe(true);
	});
});
