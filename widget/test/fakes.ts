/** Test doubles for ChatSession: a transport the test drives by hand and an in-memory
 * storage. */

import type { StorageLike } from "../src/chat";
import type { ClientEvents, ServerEvents } from "../src/protocol";
import type { ConnectionStatus, Transport } from "../src/transport";

export type Emitted = {
  [E in keyof ClientEvents]: { event: E; payload: ClientEvents[E] };
}[keyof ClientEvents];

type Handler = (payload: never) => void;

export class FakeTransport implements Transport {
  /** Everything the client emitted, in order. */
  readonly emitted: Emitted[] = [];
  connectCalls = 0;
  private isConnected = false;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly statusHandlers: ((status: ConnectionStatus, detail?: string) => void)[] = [];

  get connected(): boolean {
    return this.isConnected;
  }

  connect(): void {
    this.connectCalls += 1;
  }

  emit<E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]): void {
    // A deep copy: later mutation by the client must not rewrite what was "sent".
    this.emitted.push({ event, payload: JSON.parse(JSON.stringify(payload)) } as Emitted);
  }

  on<E extends keyof ServerEvents>(event: E, handler: (payload: ServerEvents[E]) => void): void {
    const list = this.handlers.get(event) ?? [];
    list.push(handler as Handler);
    this.handlers.set(event, list);
  }

  onStatus(handler: (status: ConnectionStatus, detail?: string) => void): void {
    this.statusHandlers.push(handler);
  }

  // ---- driving the fake from a test ----

  /** The server sends an event. */
  fire<E extends keyof ServerEvents>(event: E, payload: ServerEvents[E]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      (handler as (payload: ServerEvents[E]) => void)(payload);
    }
  }

  connectNow(): void {
    this.isConnected = true;
    for (const handler of this.statusHandlers) handler("connected");
  }

  disconnectNow(reason = "transport close"): void {
    this.isConnected = false;
    for (const handler of this.statusHandlers) handler("disconnected", reason);
  }

  /** Payloads of one event, in order. */
  sent<E extends keyof ClientEvents>(event: E): ClientEvents[E][] {
    return this.emitted
      .filter((item) => item.event === event)
      .map((item) => item.payload as ClientEvents[E]);
  }

  clear(): void {
    this.emitted.length = 0;
  }
}

export class MemoryStorage implements StorageLike {
  readonly data = new Map<string, string>();

  getItem(key: string): string | null {
    return this.data.has(key) ? (this.data.get(key) as string) : null;
  }

  setItem(key: string, value: string): void {
    this.data.set(key, String(value));
  }

  removeItem(key: string): void {
    this.data.delete(key);
  }
}

/** A storage whose writes always fail (Safari private mode, quota exceeded). */
export class ThrowingStorage implements StorageLike {
  getItem(): string | null {
    throw new Error("SecurityError");
  }

  setItem(): void {
    throw new Error("QuotaExceededError");
  }

  removeItem(): void {
    throw new Error("SecurityError");
  }
}
