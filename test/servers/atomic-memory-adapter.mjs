/**
 * In-memory storage adapter for oidc-provider whose `consume()` is atomic.
 *
 * oidc-provider detects refresh-token reuse by reading `consumed` from the token it loaded at the
 * start of the request. With any store that has real I/O latency, concurrent refreshes of one token
 * all load it before any of them marks it consumed, so every one of them succeeds undetected. A test
 * that must catch a broken single-flight therefore needs a store that refuses the second consume:
 * this one checks and sets `consumed` synchronously (one tick, so no interleaving) and treats a lost
 * race exactly like sequential reuse — invalid_grant and the whole grant revoked (RFC 9700 §4.14.2).
 *
 * `latencyMs` adds an await before every operation's result so races really overlap;
 * `atomicConsume: false` restores the naive check-then-set behaviour (used to prove the test can fail).
 * `InvalidGrant` is oidc-provider's error class, passed in so loading this module stays side-effect free.
 */

const GRANT_BOUND_MODELS = new Set([
	'AccessToken',
	'AuthorizationCode',
	'RefreshToken',
	'DeviceCode',
	'BackchannelAuthenticationRequest',
	'PreAuthorizedCode',
]);

const epochSeconds = () => Math.floor(Date.now() / 1000);

/** One store shared by every model, so a grant can be revoked across token kinds in one place. */
export class AtomicMemoryStore {
	/** @type {Map<string, {payload: Record<string, unknown>, expiresAt: number}>} */
	entries = new Map();
	/** @type {Map<string, Set<string>>} grantId → entry keys */
	grantMembers = new Map();
	/** @type {Map<string, string>} */
	sessionUids = new Map();
	/** @type {Map<string, string>} */
	userCodes = new Map();

	/** @param {number} graceSeconds how long past its expiry an entry stays readable (the models check `exp` themselves) */
	constructor(graceSeconds = 0) {
		this.graceMs = graceSeconds * 1000;
	}

	get(key) {
		const entry = this.entries.get(key);
		if (!entry) return undefined;
		if (entry.expiresAt <= Date.now()) {
			this.delete(key);
			return undefined;
		}
		return entry;
	}

	set(key, payload, expiresInSeconds) {
		const expiresAt =
			typeof expiresInSeconds === 'number' ? Date.now() + expiresInSeconds * 1000 + this.graceMs : Infinity;
		this.entries.set(key, { payload, expiresAt });
		if (typeof payload.grantId === 'string' && GRANT_BOUND_MODELS.has(key.slice(0, key.indexOf(':')))) {
			const members = this.grantMembers.get(payload.grantId) ?? new Set();
			members.add(key);
			this.grantMembers.set(payload.grantId, members);
		}
	}

	delete(key) {
		const entry = this.entries.get(key);
		this.entries.delete(key);
		const grantId = entry?.payload.grantId;
		if (typeof grantId === 'string') this.grantMembers.get(grantId)?.delete(key);
	}

	/** Deletes every token issued under the grant, and the grant itself. */
	revokeGrant(grantId) {
		for (const key of this.grantMembers.get(grantId) ?? []) this.entries.delete(key);
		this.grantMembers.delete(grantId);
		this.entries.delete(`Grant:${grantId}`);
	}
}

export function createAtomicMemoryAdapter({
	InvalidGrant,
	latencyMs = 0,
	atomicConsume = true,
	store = new AtomicMemoryStore(),
}) {
	const settle = () => (latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, latencyMs)) : Promise.resolve());

	class AtomicMemoryAdapter {
		constructor(model) {
			this.model = model;
		}

		key(id) {
			return `${this.model}:${id}`;
		}

		async upsert(id, payload, expiresIn) {
			await settle();
			store.delete(this.key(id));
			store.set(this.key(id), structuredClone(payload), expiresIn);
			if (this.model === 'Session' && payload.uid) store.sessionUids.set(payload.uid, id);
			if (payload.userCode) store.userCodes.set(payload.userCode, id);
		}

		async find(id) {
			// Snapshot now, deliver later: the same visibility a networked store gives.
			const entry = store.get(this.key(id));
			const snapshot = entry ? structuredClone(entry.payload) : undefined;
			await settle();
			return snapshot;
		}

		async findByUid(uid) {
			const id = store.sessionUids.get(uid);
			return id === undefined ? undefined : this.find(id);
		}

		async findByUserCode(userCode) {
			const id = store.userCodes.get(userCode);
			return id === undefined ? undefined : this.find(id);
		}

		async consume(id) {
			const key = this.key(id);
			if (!atomicConsume) {
				await settle();
				const entry = store.get(key);
				if (entry) entry.payload.consumed = epochSeconds();
				return;
			}
			const entry = store.get(key);
			if (!entry) throw new InvalidGrant(`${this.model} not found`);
			if (entry.payload.consumed) {
				if (typeof entry.payload.grantId === 'string') store.revokeGrant(entry.payload.grantId);
				throw new InvalidGrant(`${this.model} already used (concurrent reuse)`);
			}
			entry.payload.consumed = epochSeconds();
			await settle();
		}

		async destroy(id) {
			await settle();
			store.delete(this.key(id));
		}

		async revokeByGrantId(grantId) {
			await settle();
			for (const key of [...(store.grantMembers.get(grantId) ?? [])]) {
				if (key.startsWith(`${this.model}:`)) store.delete(key);
			}
		}
	}

	return AtomicMemoryAdapter;
}
