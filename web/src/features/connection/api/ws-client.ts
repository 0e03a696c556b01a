/**
 * The one WebSocket to the server. It opens with a single-use ticket (the key stays out of
 * URLs), keeps the connection store's status up to date, hands every parsed frame to its
 * `ServerLink` (the app routes it to the stores), and after a drop reconnects after 3 s,
 * then backs off (6, 12, 24, 30 s…); on each open the link re-subscribes to the open session
 * after its last event, so the stream goes on without a gap or a repeat.
 */
import { ApiError, fetchTicket } from "../../../lib/rest";
import { parseServerFrame, REVOKED_REASON_PREFIX, type ClientFrame, type ServerFrame } from "../../../types/protocol";
import type { ConnectionStatus, ConnectionStore } from "../stores/connection-store";

export const FIRST_RETRY_MS = 3_000;
export const MAX_RETRY_MS = 30_000;
/** Failed attempts in a row before the status says Disconnected (retries go on). */
export const ATTEMPTS_BEFORE_DISCONNECTED = 5;

export function retryDelay(attempt: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1), MAX_RETRY_MS);
}

/** What the client tells the rest of the app (`serverLink` in app/stores/route-frame.ts). */
export type ServerLink = {
  /** Every server frame that parses, in order. */
  onFrame(frame: ServerFrame): void;
  /** The socket opened (the status is already `connected`). */
  onOpen(): void;
  /** The socket closed (before the status leaves `connected`). */
  onClose(): void;
};

export type ConnectionOptions = {
  key: string;
  /** The store this client keeps the status in. */
  status: ConnectionStore;
  link: ServerLink;
  /**
   * The key was refused, or revoked while connected (the server closed with 1008 and a
   * `revoked:` reason, passed on): the app goes back to the key screen.
   */
  onUnauthorized(reason?: string): void;
};

export class Connection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Counts open attempts: an attempt that was overtaken (a "Reconnect now" while waiting
   * for a ticket) gives up instead of opening a second socket. */
  private generation = 0;
  private opening = false;
  private readonly opts: ConnectionOptions;

  constructor(opts: ConnectionOptions) {
    this.opts = opts;
  }

  start() {
    this.closed = false;
    window.addEventListener("online", this.reconnectNow);
    void this.open();
  }

  stop() {
    this.closed = true;
    this.generation += 1;
    window.removeEventListener("online", this.reconnectNow);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "bye");
  }

  send = (frame: ClientFrame): boolean => {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  };

  /** Skips the wait (a "Reconnect now" click, or the browser coming back online). */
  reconnectNow = () => {
    if (this.closed || this.ws || this.opening) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.open();
  };

  private async open() {
    const generation = ++this.generation;
    this.opening = true;
    try {
      await this.openOnce(generation);
    } finally {
      if (generation === this.generation) this.opening = false;
    }
  }

  private setStatus(status: ConnectionStatus) {
    this.opts.status.getState().setStatus(status);
  }

  private async openOnce(generation: number) {
    const { link } = this.opts;
    if (this.attempt > 0 && this.attempt <= ATTEMPTS_BEFORE_DISCONNECTED) {
      this.setStatus("reconnecting");
    }
    let ticket: string;
    try {
      ticket = await fetchTicket(this.opts.key);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        this.closed = true;
        this.opts.onUnauthorized();
        return;
      }
      this.scheduleRetry();
      return;
    }
    if (this.closed || generation !== this.generation || this.ws) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws/v1/chat?ticket=${encodeURIComponent(ticket)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setStatus("connected");
      link.onOpen();
    };
    ws.onmessage = (msg) => {
      if (typeof msg.data !== "string") return;
      const parsed = parseServerFrame(msg.data);
      if (!parsed.ok) {
        console.warn("unreadable server frame", parsed.error);
        return;
      }
      link.onFrame(parsed.frame);
    };
    ws.onclose = (ev?: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      link.onClose();
      if (ev?.code === 1008 && ev.reason.startsWith(REVOKED_REASON_PREFIX)) {
        // The key was revoked or the user disabled: no reconnecting with it.
        this.closed = true;
        this.opts.onUnauthorized(ev.reason);
        return;
      }
      if (!this.closed) this.scheduleRetry();
    };
  }

  private scheduleRetry() {
    if (this.closed) return;
    this.attempt += 1;
    this.setStatus(this.attempt > ATTEMPTS_BEFORE_DISCONNECTED ? "disconnected" : "reconnecting");
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.open();
    }, retryDelay(this.attempt));
  }
}
