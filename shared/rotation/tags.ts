// Moved to shared/domain/tags.ts (ownership and tag rules are domain rules); kept until every importer has moved.
export * from '../domain/tags.js';
