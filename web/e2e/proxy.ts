// A TCP proxy between the browser and the server, so a test can cut the network.
//
// It listens first (on 127.0.0.1, a free port) so that its origin is known before the
// server starts (the server must allow it in ALLOWED_ORIGINS); `setTarget` then points it
// at the server. Every byte is forwarded as is (HTTP, WebSocket upgrades, keep-alive).

import net from "node:net";

export interface TcpProxy {
  port: number;
  /** `http://127.0.0.1:PORT`: load the page from here. */
  url: string;
  /** Same as `url`: the Origin a page loaded through the proxy sends. */
  origin: string;
  /** Where new connections go. Until it is set, connections are closed at once. */
  setTarget(port: number, host?: string): void;
  /** Resets every open connection on both sides (the browser sees the network drop). */
  drop(): void;
  /** From now on, new connections are reset at once (the server looks unreachable). */
  pause(): void;
  /** Accepts and forwards new connections again. */
  resume(): void;
  /** Open client connections. */
  connections(): number;
  /** Drops everything and stops listening. */
  close(): Promise<void>;
}

export async function startProxy(target?: { port: number; host?: string }): Promise<TcpProxy> {
  let upstream: { port: number; host: string } | undefined = target
    ? { port: target.port, host: target.host ?? "127.0.0.1" }
    : undefined;
  let paused = false;
  const pairs = new Set<{ client: net.Socket; server: net.Socket }>();

  const reset = (s: net.Socket) => {
    if (s.destroyed) return;
    // RST when the socket is connected, else a plain destroy.
    if (s.readyState === "open" || s.readyState === "readOnly" || s.readyState === "writeOnly") s.resetAndDestroy();
    else s.destroy();
  };

  const listener = net.createServer({ noDelay: true }, (client) => {
    if (paused || !upstream) {
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    const server = net.connect({ port: upstream.port, host: upstream.host, noDelay: true });
    const pair = { client, server };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on("error", end);
    server.on("error", end);
    client.on("close", end);
    server.on("close", end);
    client.pipe(server);
    server.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(0, "127.0.0.1", () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const port = (listener.address() as net.AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const drop = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      reset(pair.client);
      reset(pair.server);
    }
  };

  return {
    port,
    url,
    origin: url,
    setTarget(p, host = "127.0.0.1") {
      upstream = { port: p, host };
    },
    drop,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
    },
    connections: () => pairs.size,
    close() {
      paused = true;
      drop();
      return new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
