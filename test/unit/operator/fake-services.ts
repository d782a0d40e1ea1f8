import type { HttpEvent } from '../../../shared/fc/events.js';
import type { RotationStart, OperatorServices } from '../../../shared/operator/router.js';
import { rotationStarter } from '../../../shared/operator/start-rotation.js';
import type { RunPlan } from '../../../shared/plan/types.js';
import type { PlanRequest, StatusRequest } from '../../../shared/runtime/compose.js';
import type { StatusReport } from '../../../shared/status/types.js';
import { fakeInvoker } from './fake-invoker.js';

export const NOW = new Date('2026-11-30T12:00:00Z');

/** In-memory services that record every call, so a test can show that nothing was asked of them. */
export function fakeServices(names: string[] = ['shop', 'api']) {
  const calls: { plan: PlanRequest[]; status: StatusRequest[]; start: RotationStart[]; names: number } = {
    plan: [],
    status: [],
    start: [],
    names: 0,
  };
  const report: StatusReport = {
    event: 'rotation.status',
    generatedAt: NOW.toISOString(),
    certificates: [],
    watch: [],
  };
  // Starting goes through the real starter over an in-memory Function Compute, task ids and all.
  const fc = fakeInvoker();
  const start = rotationStarter(fc.invoker, 'slb-cert-rotator');
  const services: OperatorServices = {
    async plan(request) {
      calls.plan.push(request);
      // The plan is opaque JSON to the router: only its passing through is checked.
      return { event: 'rotation.plan', generatedAt: NOW.toISOString(), certificates: [] } as unknown as RunPlan;
    },
    async status(request) {
      calls.status.push(request);
      return report;
    },
    async startRotation(request, options) {
      calls.start.push(request);
      return start(request, options);
    },
    renderStatusPage: (r) => `<!doctype html><title>status</title><p>${r.generatedAt}</p>`,
    certificateNames() {
      calls.names++;
      return names;
    },
  };
  /** Anything that reached a service (the name lookup included): what "changes nothing, reads nothing" means here. */
  const touched = () => calls.plan.length + calls.status.length + calls.start.length + calls.names;
  return { services, calls, touched, fc };
}

export function httpEvent(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; query?: Record<string, string> } = {},
): HttpEvent {
  return {
    kind: 'http',
    method,
    path,
    headers: options.headers ?? {},
    query: options.query ?? {},
    body: options.body ?? '',
    requestId: 'req-test',
    sourceIp: '127.0.0.1',
  };
}
