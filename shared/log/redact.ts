/**
 * Last line of defence against secrets in messages. SDK errors are never passed through verbatim, but messages from
 * lower layers (httpx time-outs, json-bigint parse errors) can still carry a URL with signed parameters or a body
 * fragment; this removes anything that looks like a credential, a signature or PEM material.
 */
const PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, '[pem redacted]'],
  [
    /\b(AccessKeyId|AccessKeySecret|SecurityToken|Signature|SignatureNonce|PrivateKey|ServerCertificate|Value)=[^&\s"']*/gi,
    '$1=[redacted]',
  ],
  // The same parameters percent-encoded once or twice (`SecurityToken%3DCAIS…%26`), as in a string to sign.
  [
    /(AccessKeyId|AccessKeySecret|SecurityToken|Signature|SignatureNonce|PrivateKey|ServerCertificate)(%3D|%253D)[^&\s"']*?(?=%26|%2526|&|\s|"|'|$)/gi,
    '$1$2[redacted]',
  ],
  [/\bhttps?:\/\/[^\s"'?]+\?[^\s"']*/g, '[url redacted]'],
  [/STS\.[A-Za-z0-9]{8,}/g, 'STS.[redacted]'],
  [/\bLTAI[A-Za-z0-9]{8,}/g, 'LTAI[redacted]'],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}
