import { send, type Call, type Target } from '../load.ts';
import type { Recorder } from './stats.ts';

/**
 * A SCIM client that behaves like a well-mannered IdP: a 429 is answered by waiting the
 * `Retry-After` seconds and sending the same request again (IDP-NOTES §1.1: Okta and Entra
 * both reschedule on Retry-After). A 429 without Retry-After is a wrong answer; so is any
 * status the caller did not expect.
 */

export interface Answer {
  status: number;
  body: unknown;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class PoliteClient {
  readonly target: Target;
  readonly #recorder: Recorder;
  /** After this (performance.now()), throttled requests are not retried any more. */
  readonly #giveUpAt: () => number;
  throttledSeconds = 0;
  /** Requests still throttled when their time was up, left unsent. */
  gaveUp = 0;

  constructor(target: Target, recorder: Recorder, giveUpAt: () => number) {
    this.target = target;
    this.#recorder = recorder;
    this.#giveUpAt = giveUpAt;
  }

  /**
   * Sends `call` until it is answered with something other than 429, and checks the status
   * is one of `expected`. Returns the answer, or undefined when there was none or it was wrong.
   */
  async call(kind: string, call: Call, expected: readonly number[]): Promise<Answer | undefined> {
    for (;;) {
      const began = performance.now();
      let answer: Awaited<ReturnType<typeof send>>;
      try {
        answer = await send(this.target, call);
      } catch (error) {
        this.#recorder.record(kind, 0, performance.now() - began);
        this.#recorder.problem(`${call.method} ${call.path}: ${(error as Error).message}`);
        return undefined;
      }
      this.#recorder.record(kind, answer.status, performance.now() - began);
      if (answer.status === 429) {
        const header = answer.headers['retry-after'];
        const seconds = Number(header);
        if (!header || !Number.isInteger(seconds) || seconds < 1) {
          this.#recorder.problem(`${call.method} ${call.path}: 429 with Retry-After ${JSON.stringify(header ?? null)}`);
          return undefined;
        }
        if (performance.now() + seconds * 1000 > this.#giveUpAt()) {
          this.gaveUp++;
          return undefined;
        }
        this.throttledSeconds += seconds;
        await sleep(seconds * 1000);
        continue;
      }
      if (!expected.includes(answer.status)) {
        const detail = typeof answer.body === 'object' && answer.body ? (answer.body as { detail?: unknown }).detail : answer.body;
        this.#recorder.problem(`${call.method} ${call.path}: status ${answer.status} (${String(detail).slice(0, 200)})`);
        return undefined;
      }
      return answer;
    }
  }
}
