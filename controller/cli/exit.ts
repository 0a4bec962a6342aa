/** Exit codes a CI pipeline can branch on. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;
