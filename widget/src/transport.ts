/** The connection to the gateway: socket.io, kept apart from the chat's state logic so
 * that logic can be tested with a fake transport. */

import { io, type Socket } from "socket.io-client";
import type { ClientEvents, ServerEvents } from "./protocol";

export type ConnectionStatus = "connected" | "disconnected";

export interface Transport {
  /** Starts connecting (and reconnecting after every loss, with backoff). */
  connect(): void;
  emit<E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]): void;
  on<E extends keyof ServerEvents>(event: E, handler: (payload: ServerEvents[E]) => void): void;
  onStatus(handler: (status: ConnectionStatus, detail?: string) => void): void;
  readonly connected: boolean;
}

export function socketTransport(serverUrl: string): Transport {
  const socket: Socket = io(serverUrl, {
    path: "/socket.io",
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    autoConnect: false,
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    timeout: 10000,
  });
  return {
    connect: () => {
      socket.connect();
    },
    emit: (event, payload) => {
      socket.emit(event, payload);
    },
    on: (event, handler) => {
      socket.on(event as string, handler as (payload: unknown) => void);
    },
    onStatus: (handler) => {
      socket.on("connect", () => handler("connected"));
      socket.on("disconnect", (reason) => handler("disconnected", reason));
      socket.on("connect_error", (error) => handler("disconnected", error.message));
    },
    get connected() {
      return socket.connected;
    },
  };
}
