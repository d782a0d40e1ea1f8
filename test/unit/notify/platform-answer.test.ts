import { describe, expect, it } from 'vitest';
import { checkPlatformAnswer } from '../../../shared/notify/http.js';

function refusal(text: string, secrets: string[] = []): string {
  try {
    checkPlatformAnswer(text, 'errcode', secrets);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('checkPlatformAnswer', () => {
  it("accepts code 0 (and Feishu's older StatusCode 0)", () => {
    expect(() => checkPlatformAnswer('{"errcode":0,"errmsg":"ok"}', 'errcode', [])).not.toThrow();
    expect(() => checkPlatformAnswer('{"StatusCode":0,"StatusMessage":"success"}', 'code', [])).not.toThrow();
  });

  it('refuses a non-zero or missing code, and an answer that is not JSON', () => {
    expect(refusal('{"errcode":310000,"errmsg":"sign not match"}')).toBe('errcode 310000: sign not match');
    expect(refusal('{"ok":true}')).toBe('the answer has no errcode');
    expect(refusal('<html>gateway</html>')).toMatch(/^the answer is not JSON/);
  });

  it("scrubs what the far end echoes: the channel's own secrets, and anything shaped like a signed URL", () => {
    const message = refusal(
      '{"errcode":300001,"errmsg":"token my-robot-token-42 invalid at https://relay.example/send?access_token=other-token-77"}',
      ['my-robot-token-42'],
    );
    expect(message).toMatch(/^errcode 300001: token \[redacted\] invalid at /);
    expect(message).not.toContain('my-robot-token-42');
    expect(message).not.toContain('other-token-77');
  });
});
