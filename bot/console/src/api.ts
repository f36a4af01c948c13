/** The agent API (docs/protocol.md, "The agent API"): same-origin fetch with the session
 * cookie, the CSRF header on every state-changing call, JSON both ways. */

export interface Agent {
  id: string;
  name: string;
  team?: string;
  avatar_url?: string | null;
}

export interface QueueEntry {
  chat_id: string;
  position: number;
  queued_at: string;
  waiting_seconds: number;
  summary: string;
  category: string | null;
  customer_key: string;
  trigger: string;
  routed_to: string | null;
  email: string | null;
  requeued_from: string | null;
  /** While only `routed_to` may claim it (the customer was told that person will join). */
  reserved_until?: string | null;
  /** Requests from this entry's source held back over its cap (0: none). */
  flood_held_back?: number;
}

export interface ChatListItem {
  chat_id: string;
  customer_key: string;
  summary: string;
  category: string | null;
  last_entry: { seq: number; kind: string; text: string | null; at: string } | null;
  read_seq: number;
  unread: number;
}

export interface TranscriptEntry {
  seq: number;
  kind: "visitor" | "bot" | "agent" | "system";
  at: string;
  text?: string | null;
  sender?: { kind: string; name?: string; full_name?: string } | null;
  handoff?: { state: string; text?: string } | null;
}

export interface Note {
  id: string;
  agent_id: string;
  text: string;
  at: string;
}

export interface Earlier {
  chat_id: string;
  started_at: string | null;
  outcome: string;
  summary?: string | null;
}

export interface AgentWithStatus extends Agent {
  status: "online" | "away" | "offline";
  load: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

const BASE = "/api/agent";

export class AgentApi {
  csrf = "";

  /** Called when the session is gone (401): the console goes back to the login page. */
  constructor(private readonly onUnauthorised: () => void) {}

  async call<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = this.csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const reply = await fetch(`${BASE}${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = reply.status === 204 ? null : await reply.json().catch(() => null);
    if (!reply.ok) {
      if (reply.status === 401 && path !== "/login") this.onUnauthorised();
      throw new ApiError(reply.status, data?.error ?? "error", data?.detail ?? reply.statusText);
    }
    return data as T;
  }

  async login(agentId: string, password: string): Promise<Agent> {
    const reply = await this.call<{ agent: Agent; csrf_token: string }>("POST", "/login", {
      agent_id: agentId,
      password,
    });
    this.csrf = reply.csrf_token;
    return reply.agent;
  }

  async me(): Promise<{ agent: Agent; status: string }> {
    const reply = await this.call<{ agent: Agent; status: string; csrf_token: string }>("GET", "/me");
    this.csrf = reply.csrf_token;
    return reply;
  }

  chatPath(chatId: string, rest: string): string {
    return `/chats/${encodeURIComponent(chatId)}${rest}`;
  }
}
