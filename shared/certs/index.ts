export * from './check.js';
export * from './fingerprint.js';
export * from './inspect.js';
export * from './pem.js';
export * from './private-key.js';
export * from './x509.js';
