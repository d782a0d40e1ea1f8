/**
 * What `npm run fleet` (sandbox/fleet.ts) and the fan-out integration test share: certificates each served by one
 * seeded HTTPS listener, the rotator configuration for them, the daily timer's synchronous invocation through the
 * real @alicloud/fc2, and the checks that a certificate was uploaded once and is what its listener serves.
 */
import FC from '@alicloud/fc2';
import { FC3_API_VERSION } from '../shared/adapters/fc/fc2-function-invoker.js';
import type { Emulator } from './emulator/index.js';
import type { SandboxCertificate } from './world.js';

/** One certificate of the fleet and the listener that serves it. */
export interface FleetListener {
  name: string;
  region: string;
  loadBalancerId: string;
  port: number;
}

/** Each listener's certificate for `<name>.<zone>`, as the rotator's configuration names it. */
export function fleetCertificates(listeners: readonly FleetListener[], zone: string): SandboxCertificate[] {
  return listeners.map((s) => ({
    name: s.name,
    domains: [`${s.name}.${zone}`],
    region: s.region,
    listeners: [{ loadBalancerId: s.loadBalancerId, port: s.port }],
  }));
}

/**
 * A synchronous InvokeFunction through the real fc2, as FC's timer trigger hands the function its event. `error` is
 * the answer's body when FC says the function failed (x-fc-error-type).
 */
export async function invokeFunction(
  emu: Emulator,
  functionName: string,
  event: string,
  timeoutMs: number,
): Promise<{ data: unknown; error: string | undefined }> {
  const client = new FC(emu.fc.accountId, {
    accessKeyID: emu.credentials.accessKeyId,
    accessKeySecret: emu.credentials.accessKeySecret,
    region: emu.fc.region,
    endpoint: emu.fc.endpoint,
    timeout: timeoutMs,
  });
  client.version = FC3_API_VERSION;
  const res = await client.request('POST', `/functions/${functionName}/invocations`, null, event, {});
  return { data: res.data, error: res.headers['x-fc-error-type'] ? JSON.stringify(res.data) : undefined };
}

/** The rotator's uploads for this certificate (it names them `<certificate>-<date>`). */
export function uploadsOf(emu: Emulator, name: string) {
  return emu.callsOf('UploadServerCertificate').filter((c) => c.params.ServerCertificateName?.startsWith(`${name}-`));
}

/** Whether the listener now serves one of the rotator's uploads of its own certificate. */
export function servesOwnUpload(emu: Emulator, s: FleetListener): { served: string | undefined; own: boolean } {
  const id = emu.slb.binding(s.region, s.loadBalancerId, s.port).serverCertificateId;
  const served = emu.slb.certificates(s.region).find((c) => c.ServerCertificateId === id)?.ServerCertificateName;
  return { served, own: served?.startsWith(`${s.name}-`) === true };
}
