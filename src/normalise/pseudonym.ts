/**
 * Pseudonyms for household and credential ids (docs/contract.md §3). The implementation is a root
 * file (src/pseudonym.ts) because the inventory loader pseudonymises roster households with the
 * same key and the same rule as ingest, and config may not import a stage.
 */
export * from '../pseudonym.ts';
