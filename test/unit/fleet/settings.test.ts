import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import {
  decideFanout,
  type FanoutSettings,
  fanoutSettingsFromEnvironment,
  maxPerWorker,
} from '../../../shared/fleet/settings.js';

const settings = (o: Partial<FanoutSettings> = {}): FanoutSettings => ({
  mode: 'auto',
  workerFunction: undefined,
  maxPerWorker: undefined,
  secondsPerCertificate: 60,
  ...o,
});

describe('fan-out settings from the environment', () => {
  it('defaults: auto, 60 s per certificate; empty values mean the default', () => {
    expect(fanoutSettingsFromEnvironment({})).toEqual(settings());
    expect(fanoutSettingsFromEnvironment({ ROTATOR_FANOUT: ' ', ROTATOR_FANOUT_MAX_PER_WORKER: '' })).toEqual(
      settings(),
    );
  });

  it('reads every variable', () => {
    expect(
      fanoutSettingsFromEnvironment({
        ROTATOR_FANOUT: 'always',
        ROTATOR_FANOUT_FUNCTION: 'slb-cert-rotator-worker',
        ROTATOR_FANOUT_MAX_PER_WORKER: '5',
        ROTATOR_FANOUT_SECONDS_PER_CERTIFICATE: '30',
      }),
    ).toEqual({
      mode: 'always',
      workerFunction: 'slb-cert-rotator-worker',
      maxPerWorker: 5,
      secondsPerCertificate: 30,
    });
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      fanoutSettingsFromEnvironment({
        ROTATOR_FANOUT: 'sometimes',
        ROTATOR_FANOUT_FUNCTION: '../x',
        ROTATOR_FANOUT_MAX_PER_WORKER: '0',
        ROTATOR_FANOUT_SECONDS_PER_CERTIFICATE: '1.5',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).message;
    for (const v of [
      'ROTATOR_FANOUT:',
      'ROTATOR_FANOUT_FUNCTION:',
      'ROTATOR_FANOUT_MAX_PER_WORKER:',
      'ROTATOR_FANOUT_SECONDS_PER_CERTIFICATE:',
    ]) {
      expect(text).toContain(v);
    }
  });
});

describe('maxPerWorker', () => {
  it('fits 80% of the timeout: 900 s at 60 s per certificate is 12', () => {
    expect(maxPerWorker(settings(), 900)).toBe(12);
    expect(maxPerWorker(settings({ secondsPerCertificate: 1 }), 900)).toBe(100);
    expect(maxPerWorker(settings({ secondsPerCertificate: 3600 }), 60)).toBe(1);
    expect(maxPerWorker(settings({ maxPerWorker: 3 }), 900)).toBe(3);
  });
});

describe('decideFanout', () => {
  it('auto fans out only when the estimate exceeds 80% of the time left', () => {
    // 12 × 60 s = 720 s = 80% of 900 s: fits; 13 does not.
    expect(decideFanout(settings(), 12, 900_000).fanOut).toBe(false);
    expect(decideFanout(settings(), 13, 900_000)).toMatchObject({
      fanOut: true,
      reason: expect.stringMatching(/13 due/),
    });
    // Time already spent counts: 12 no longer fit in 600 s.
    expect(decideFanout(settings(), 12, 600_000).fanOut).toBe(true);
  });

  it('never and always override the estimate; nothing due never fans out', () => {
    expect(decideFanout(settings({ mode: 'never' }), 1000, 1000).fanOut).toBe(false);
    expect(decideFanout(settings({ mode: 'always' }), 1, 900_000).fanOut).toBe(true);
    expect(decideFanout(settings({ mode: 'always' }), 0, 900_000).fanOut).toBe(false);
  });
});
