import { z } from 'zod';
import { urlProblem } from './url-check.js';
import { notifySchemas } from '../notify/settings.js';
import { watchList } from '../watch/settings.js';

/**
 * The declarative configuration: which certificates exist, which names they cover, where they are served, and how
 * they are obtained. Validated once at start-up; nothing runs on an invalid file.
 */

const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

export const ACME_PRESETS = {
  'letsencrypt-staging': { url: LETSENCRYPT_STAGING, production: false },
  letsencrypt: { url: LETSENCRYPT_PRODUCTION, production: true },
} as const;

// A DNS name the CA can issue for: lowercase LDH labels, optionally one leading `*.` wildcard label.
const LABEL = '(?!-)[a-z0-9-]{1,63}(?<!-)';
const DOMAIN_RE = new RegExp(`^(\\*\\.)?(${LABEL}\\.)+[a-z][a-z0-9-]{0,62}$`);

const domainName = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/\.$/, ''))
  .refine((s) => s.length <= 253 && DOMAIN_RE.test(s), {
    message: 'not a DNS name the CA can issue for (lowercase letters, digits, hyphens; wildcard only as "*." prefix)',
  });

// SLB ServerCertificateName allows 1-80 chars starting with a letter; the rotator appends `-YYYYMMDD-<8 hex>` (18).
const certificateName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9._-]{0,59}$/,
    'must start with a letter, use only A-Z a-z 0-9 . _ - and be at most 60 chars',
  );

const regionId = z.string().regex(/^[a-z]{2,}(-[a-z0-9]+)+$/, 'not a region id such as cn-hangzhou');

/** A secret is never written into the file itself: it names where to read it from. */
export const secretRef = z.union(
  [
    z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name') }).strict(),
    z.object({ file: z.string().min(1) }).strict(),
  ],
  { error: 'must be {env: VARIABLE} or {file: PATH}; secrets are never written into the configuration itself' },
);
export type SecretRef = z.infer<typeof secretRef>;

export const renewalPolicy = z
  .object({
    /** Due when the remaining lifetime falls below this fraction of the whole (default 1/3, as lego and CertMagic). */
    remainingFraction: z.number().gt(0).lt(1).optional(),
    /** Due this many days before expiry, instead of a fraction. Breaks as lifetimes shrink; prefer the fraction. */
    daysBeforeExpiry: z.number().positive().max(365).optional(),
    /** Spread the renewal point earlier by up to this fraction of the lifetime, stable per certificate. */
    spread: z.number().min(0).max(0.2).optional(),
  })
  .strict()
  .refine((p) => !(p.remainingFraction !== undefined && p.daysBeforeExpiry !== undefined), {
    message: 'set either remainingFraction or daysBeforeExpiry, not both',
  });

export const keyType = z.enum(['rsa-2048', 'rsa-3072', 'rsa-4096'], {
  error: 'CLB accepts RSA keys: one of rsa-2048, rsa-3072, rsa-4096',
});

const listenerTarget = z
  .object({
    loadBalancerId: z.string().regex(/^lb-[A-Za-z0-9]+$/, 'not a load balancer id such as lb-bp1abc…'),
    port: z.number().int().min(1).max(65535),
  })
  .strict();

const domainExtensionTarget = z
  .object({
    loadBalancerId: listenerTarget.shape.loadBalancerId,
    port: listenerTarget.shape.port,
    /** The SNI domain of the extension, as configured on the listener. */
    domain: z
      .string()
      .transform((s) => s.trim().toLowerCase())
      .refine((s) => DOMAIN_RE.test(s), { message: 'not a domain name' }),
  })
  .strict();

const certificateEntry = z
  .object({
    name: certificateName,
    domains: z.array(domainName).min(1, 'list at least one domain').max(100, 'at most 100 names per certificate'),
    region: regionId.optional(),
    keyType: keyType.optional(),
    renewal: renewalPolicy.optional(),
    /** HTTPS listeners whose default certificate this is. */
    listeners: z.array(listenerTarget).default([]),
    /** SNI domain extensions that serve this certificate. */
    domainExtensions: z.array(domainExtensionTarget).default([]),
    /** Also move every listener and domain extension in the region that serves the certificate being replaced. */
    byReference: z.boolean().optional(),
    /** How many of the rotator's older certificates for this name to keep for rollback. */
    retain: z.number().int().min(0).max(10).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.domains.forEach((d, i) => {
      if (seen.has(d)) ctx.addIssue({ code: 'custom', path: ['domains', i], message: `"${d}" is listed twice` });
      seen.add(d);
    });
    const ports = new Set<string>();
    c.listeners.forEach((l, i) => {
      const key = `${l.loadBalancerId}:${l.port}`;
      if (ports.has(key)) ctx.addIssue({ code: 'custom', path: ['listeners', i], message: `${key} is listed twice` });
      ports.add(key);
    });
    const extensions = new Set<string>();
    c.domainExtensions.forEach((d, i) => {
      const key = `${d.loadBalancerId}:${d.port}/${d.domain}`;
      if (extensions.has(key))
        ctx.addIssue({ code: 'custom', path: ['domainExtensions', i], message: `${key} is listed twice` });
      extensions.add(key);
    });
  });

const acmeSection = z
  .object({
    /** A preset name or the directory URL of any ACME CA. Staging unless production is chosen explicitly. */
    directory: z
      .string()
      .superRefine((value, ctx) => {
        if (Object.hasOwn(ACME_PRESETS, value)) return;
        const problem = urlProblem(value);
        if (problem)
          ctx.addIssue({
            code: 'custom',
            message: `neither letsencrypt, letsencrypt-staging nor a usable URL: ${problem}`,
          });
      })
      .default('letsencrypt-staging'),
    /** Required for a directory URL: whether that CA issues publicly trusted certificates (and has account limits). */
    production: z.boolean().optional(),
    email: z.email().optional(),
    accountKey: secretRef.optional(),
    externalAccountBinding: z
      .object({ kid: z.string().min(1), hmacKey: secretRef })
      .strict()
      .optional(),
    termsOfServiceAgreed: z.literal(true, { error: 'must be true: the CA requires agreeing to its terms of service' }),
    /**
     * New orders one run may place (default 100). Let's Encrypt allows 300 new orders per account per 3 hours: a run
     * that hits the CA's limit fails every later order of the account for hours, so the run stops short of it.
     */
    maxNewOrdersPerRun: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const preset = Object.hasOwn(ACME_PRESETS, a.directory);
    if (!preset && a.production === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['production'],
        message: 'required when directory is a URL: say whether this CA is a production CA (true) or a test CA (false)',
      });
    }
    if (
      preset &&
      a.production !== undefined &&
      a.production !== ACME_PRESETS[a.directory as keyof typeof ACME_PRESETS].production
    ) {
      ctx.addIssue({ code: 'custom', path: ['production'], message: `contradicts the preset "${a.directory}"` });
    }
  });

export const configSchema = z
  .object({
    acme: acmeSection,
    defaults: z
      .object({
        region: regionId.optional(),
        keyType: keyType.optional(),
        renewal: renewalPolicy.optional(),
        byReference: z.boolean().optional(),
        retain: z.number().int().min(0).max(10).optional(),
      })
      .strict()
      .default({}),
    slb: z
      .object({
        /** Server certificates allowed per region (slb_quota_certs_num; 100 unless raised in Quota Center). */
        certificateQuota: z.number().int().min(1).default(100),
        /** After moving a target, open a TLS connection to it and check the presented leaf. */
        verifyOnWire: z.boolean().default(true),
        /** How long a target may keep presenting the old leaf after the API reports the change. */
        wireSettleSeconds: z.number().min(0).max(600).default(30),
        /** Requests of each SLB API in any one second, every region together (default 10; SLB publishes no quota). */
        requestsPerSecond: z.number().gt(0).max(1000).optional(),
        /** How long a write keeps being retried while CLB answers ServiceIsConfiguring (default 60). */
        configuringWaitSeconds: z.number().min(0).max(600).optional(),
      })
      .strict()
      .default({ certificateQuota: 100, verifyOnWire: true, wireSettleSeconds: 30 }),
    dns: z
      .object({
        /** How long to wait for the authoritative name servers to serve a challenge record. */
        propagationTimeoutSeconds: z.number().int().min(10).max(3600).default(300),
        /** TTL of challenge records. 600 s is the Alidns free edition's minimum (UNCONFIRMED). */
        ttl: z.number().int().min(1).max(86400).default(600),
        /** Requests of each Alidns API in any one second (default 30: half the 60/s it publishes for record writes). */
        requestsPerSecond: z.number().gt(0).max(1000).optional(),
        /**
         * How long a run's lease on a certificate (a TXT record beside its challenge records) holds before another
         * run may take it over (default 1200): longer than one certificate's rotation takes (the function's timeout
         * is 900 s).
         */
        leaseSeconds: z.number().int().min(60).max(86400).optional(),
      })
      .strict()
      .default({ propagationTimeoutSeconds: 300, ttl: 600 }),
    run: z
      .object({
        /** Certificates rotated at the same time (default 20; 1 rotates them one after another, in file order). */
        concurrency: z.number().int().min(1).max(64).optional(),
      })
      .strict()
      .optional(),
    certificates: z.array(certificateEntry).min(1, 'list at least one certificate'),
    /** Chat robots and webhooks to tell when a run needs a person (see shared/notify). */
    alerts: notifySchemas(secretRef).alerts.optional(),
    /** A dead-man's-switch URL pinged after every completed run. */
    heartbeat: notifySchemas(secretRef).heartbeat.optional(),
    /** TLS endpoints the rotator does not manage but checks on every run (see shared/watch). */
    watch: watchList.optional(),
    status: z
      .object({
        /** A certificate due for longer than this is `overdue` in the status: the rotation is failing. */
        overdueAfterDays: z.number().min(0).max(60).default(3),
      })
      .strict()
      .default({ overdueAfterDays: 3 }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.certificates.forEach((c, i) => {
      if (names.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['certificates', i, 'name'], message: `"${c.name}" is used twice` });
      names.add(c.name);
      if (!c.region && !cfg.defaults.region)
        ctx.addIssue({
          code: 'custom',
          path: ['certificates', i, 'region'],
          message: 'required (or set defaults.region)',
        });
    });
  });

export type RawConfig = z.infer<typeof configSchema>;
