/**
 * A count of bytes held, up to a size, shared by every request of the process (the container
 * builds one). Bytes that do not fit may wait for room in a queue, first come first served: a
 * large request at its head is not overtaken for ever by smaller ones arriving after it.
 */
interface Waiter {
  bytes: number;
  granted: (taken: boolean) => void;
  timer: NodeJS.Timeout;
}

export class ByteBudget {
  readonly size: number;
  #used = 0;
  #refused = 0;
  readonly #queue: Waiter[] = [];

  constructor(size: number) {
    this.size = size;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Requests waiting for room now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Requests refused since start: a wait that ran out (take), or a body that outgrew the room left (grow). */
  get refused(): number {
    return this.#refused;
  }

  /** Takes `bytes` if they fit and nobody waits for room before them. */
  tryTake(bytes: number): boolean {
    if (this.#queue.length > 0 || this.#used + bytes > this.size) return false;
    this.#used += bytes;
    return true;
  }

  /** Takes `bytes` more for a holder already admitted (a body still arriving) if they fit, whoever waits. */
  grow(bytes: number): boolean {
    if (this.#used + bytes > this.size) {
      this.#refused++;
      return false;
    }
    this.#used += bytes;
    return true;
  }

  /**
   * Takes `bytes` when they fit, within `waitMs`: `granted(true)` once taken, `granted(false)` when
   * they did not fit in time. The function returned gives up the wait (a client that went away);
   * after `granted(true)` it does nothing: the bytes are the caller's to release.
   */
  take(bytes: number, waitMs: number, granted: (taken: boolean) => void): () => void {
    if (this.tryTake(bytes)) {
      granted(true);
      return () => {};
    }
    const waiter: Waiter = { bytes, granted, timer: setTimeout(() => this.#leave(waiter) && this.#refuse(granted), waitMs) };
    this.#queue.push(waiter);
    return () => {
      this.#leave(waiter);
    };
  }

  release(bytes: number): void {
    this.#used -= bytes;
    this.#grant();
  }

  #refuse(granted: (taken: boolean) => void): void {
    this.#refused++;
    granted(false);
  }

  /** Removes a waiter from the queue; false when it had left it already (granted, timed out, given up). */
  #leave(waiter: Waiter): boolean {
    const at = this.#queue.indexOf(waiter);
    if (at < 0) return false;
    this.#queue.splice(at, 1);
    clearTimeout(waiter.timer);
    // The head may have changed: the waiters behind it may fit now.
    if (at === 0) this.#grant();
    return true;
  }

  #grant(): void {
    for (let next = this.#queue[0]; next && this.#used + next.bytes <= this.size; next = this.#queue[0]) {
      this.#queue.shift();
      clearTimeout(next.timer);
      this.#used += next.bytes;
      next.granted(true);
    }
  }
}
