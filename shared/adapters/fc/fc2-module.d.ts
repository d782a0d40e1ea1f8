/**
 * The part of @alicloud/fc2 2.6.6 the adapters use (the package ships no typings). `request` is public and signs
 * any path with the `FC` scheme under `/<version>`; the error it throws for a non-2xx answer carries `code` (the
 * body's `ErrorCode`, an FC 2.0 field) and a message with the status, the request id and the body's message.
 */
declare module '@alicloud/fc2' {
  export interface Fc2Config {
    accessKeyID: string;
    accessKeySecret: string;
    /** Only used, and then required, when accessKeyID starts with `STS`. */
    securityToken?: string;
    region: string;
    secure?: boolean;
    internal?: boolean;
    endpoint?: string;
    timeout?: number;
    headers?: Record<string, string>;
  }

  export interface Fc2Response {
    headers: Record<string, string | string[] | undefined>;
    data: unknown;
  }

  export default class Client {
    constructor(accountId: string, config: Fc2Config);
    version: string;
    request(
      method: string,
      path: string,
      query: Record<string, string> | null,
      body: string | Buffer | null,
      headers?: Record<string, string>,
      opts?: Record<string, unknown>,
    ): Promise<Fc2Response>;
  }
}
