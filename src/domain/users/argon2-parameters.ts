/**
 * argon2id with OWASP's minimum parameters: 19 MiB memory, 2 iterations, 1 lane. In a module of
 * their own so the hashing worker threads load only these and @node-rs/argon2, not the password
 * policy's 50,000-word dictionary.
 */
// `algorithm: 2` is Argon2id (the package exports it as a const enum, which type stripping can't read).
export const argon2Options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
