/** The visitor protocol's events (docs/protocol.md, version 1) as the widget uses them.
 * Fields the widget does not use are left out; unknown fields are ignored. */

export const PROTOCOL_VERSION = 1;

export type SenderKind = "bot" | "agent" | "system";

export interface Sender {
  kind: SenderKind;
  id?: string;
  name?: string;
  full_name?: string;
  team?: string;
  avatar_url?: string | null;
}

export interface QuickReply {
  title: string;
  payload: string;
}

export interface AgentInfo {
  /** Opaque: the agent's avatar id, never their login id. */
  id: string;
  name: string;
  team?: string;
  avatar_url?: string | null;
}

export type Owner = "bot" | "queued" | "agent" | "closed";

export type HandoffState = "queued" | "assigned" | "transferred" | "handed_back" | "closed";

export interface SessionRequest {
  protocol: number;
  session_id: string | null;
  last_seq: number;
  user?: { id: string; hash: string };
}

export interface SessionState {
  protocol: number;
  session_id: string;
  resumed: boolean;
  last_seq: number;
  owner: Owner;
  /** `agent`: the chat is reserved for this person (the visitor was told they will join). */
  queue?: { position: number | null; wait_seconds: number | null; agent?: AgentInfo };
  agent?: AgentInfo;
  limits: { max_message_chars: number; rate_limit: { messages: number; per_seconds: number } };
}

export interface BotUttered {
  seq?: number;
  at?: string;
  text?: string;
  sender: Sender;
  quick_replies?: QuickReply[];
}

export interface VisitorUttered {
  seq: number;
  at: string;
  /** What the visitor said: for a quick reply, its title. */
  text: string;
  client_message_id?: string | null;
  /** Present when the visitor chose a quick reply: the payload that went to the bot. */
  payload?: string;
}

export interface HandoffEvent {
  seq: number;
  at: string;
  state: HandoffState;
  position?: number;
  wait_seconds?: number | null;
  agent?: AgentInfo;
  from_agent?: AgentInfo;
  reason?: string;
  by?: string;
  text?: string;
}

export interface QueueUpdate {
  position: number;
  wait_seconds: number | null;
  text: string;
  /** While the chat is reserved for the person the visitor was told about. */
  agent?: AgentInfo;
}

export interface MessageAck {
  seq: number;
  client_message_id: string | null;
}

export interface TypingEvent {
  sender: Sender;
  typing: boolean;
}

export interface SlowDown {
  retry_after_ms: number;
  client_message_id: string | null;
  text: string;
}

export interface ErrorEvent {
  error: string;
  detail: string;
  client_message_id?: string | null;
  /** `rate_limited`: the refused request, and when to try again. */
  event?: string;
  retry_after_ms?: number;
}

/** Server → client events and their payloads. */
export interface ServerEvents {
  session_confirm: string;
  session_state: SessionState;
  bot_uttered: BotUttered;
  visitor_uttered: VisitorUttered;
  handoff: HandoffEvent;
  queue_update: QueueUpdate;
  message_ack: MessageAck;
  typing: TypingEvent;
  rating_saved: { score: number };
  slow_down: SlowDown;
  error: ErrorEvent;
}

/** Client → server events and their payloads. */
export interface ClientEvents {
  session_request: SessionRequest;
  user_uttered: { message: string; client_message_id: string };
  typing: { typing: boolean };
  rating: { score: number; comment?: string };
  end_chat: Record<string, never>;
}
