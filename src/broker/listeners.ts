/**
 * Network listeners for MQTT: plain TCP (always), TLS (`mqtt.tlsPort` with cert and key files; client
 * certificates with `mqtt.tlsClientCerts`, reloadable) and WebSocket (`mqtt.websocketPort`, via the
 * `ws` package, loaded only when configured). Each hands every connection, as a Duplex, to `accept`.
 * Port 0 binds any free port; the bound one is returned.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { HubError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { loadTlsMaterial } from './tls-material.ts';
import type { BrokerPorts, MqttConfig } from './types.ts';

/** Receives each new connection. */
export type Accept = (conn: Duplex, remote: string, req?: IncomingMessage) => void;

/** One bound server. */
interface Listener {
  port: number;
  /** Stop accepting, destroy what is still open, and wait for the server to close. */
  close(): Promise<void>;
}

/** All bound listeners. */
export interface Listeners {
  ports: BrokerPorts;
  close(): Promise<void>;
  /**
   * Read and check the TLS listener's files again; resolves with a function that puts them in
   * force for new connections, or undefined without a TLS listener. Throws `HUB_ERR_TLS_INVALID`
   * (and changes nothing) when a file is unreadable or unusable.
   */
  prepareTlsReload(): Promise<(() => void) | undefined>;
}

/** Bind every configured listener; on any failure, close those already bound and throw. */
export async function openListeners(
  config: MqttConfig,
  logger: Logger,
  accept: Accept,
  wsMaxPayload: number,
): Promise<Listeners> {
  // Read before any port is bound: a bad file is a configuration error (exit 78), not half a start.
  const material = config.tlsPort !== undefined ? await loadTlsMaterial(config) : undefined;
  const opened: Listener[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(opened.splice(0).map((l) => l.close()));
  };
  try {
    const tcp = createNetServer((socket) => {
      socket.setNoDelay(true);
      accept(socket, remoteOf(socket));
    });
    opened.push(await bind(tcp, config, config.port, 'mqtt.port'));
    const ports: BrokerPorts = { port: opened[0]!.port };

    let tlsServer: TlsServer | undefined;
    if (config.tlsPort !== undefined && material) {
      // Client certificates are asked for but not enforced by the handshake (rejectUnauthorized
      // false): a gateway with a bad or missing certificate then gets an MQTT CONNACK refusal that
      // is logged and counted with its reason (docs/contract.md §2), not an anonymous TLS alert.
      // src/broker/client-cert.ts judges the certificate at CONNECT.
      const clientCerts = config.tlsClientCerts !== 'off' ? { requestCert: true, rejectUnauthorized: false } : {};
      // A TLS handshake gets the same time as a CONNECT; an idle socket is not kept for 120 s.
      const tls = createTlsServer({ ...material, ...clientCerts, handshakeTimeout: config.connectTimeout }, (socket) =>
        accept(socket, remoteOf(socket)),
      );
      tls.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'mqtt TLS handshake failed'));
      const l = await bind(tls, config, config.tlsPort, 'mqtt.tlsPort');
      opened.push(l);
      ports.tlsPort = l.port;
      tlsServer = tls;
    }

    if (config.websocketPort !== undefined) {
      const l = await bindWebSocket(config, logger, accept, wsMaxPayload);
      opened.push(l);
      ports.wsPort = l.port;
    }
    return {
      ports,
      close: closeAll,
      async prepareTlsReload() {
        if (!tlsServer) return undefined;
        const server = tlsServer;
        const material = await loadTlsMaterial(config);
        // Only new handshakes use the new context: live connections keep theirs (docs/operations.md).
        return () => server.setSecureContext(material);
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function bindWebSocket(
  config: MqttConfig,
  logger: Logger,
  accept: Accept,
  maxPayload: number,
): Promise<Listener> {
  // `ws` reaches node_modules through mqtt.js; a production install needs it as a dependency.
  const ws = await import('ws').catch((cause: unknown) => {
    throw new HubError(
      'HUB_ERR_CONFIG_INVALID',
      'mqtt.websocketPort is set, but the `ws` package is not installed (npm install ws)',
      { cause },
    );
  });
  const http: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('MQTT over WebSocket only\n');
  });
  // maxPayload bounds one frame (which may carry several packets); the packet guard bounds each
  // MQTT packet, across frames too.
  const wss = new ws.WebSocketServer({ server: http, maxPayload });
  wss.on('error', (err) => logger.error({ err }, 'mqtt websocket server error'));
  wss.on('connection', (socket, req) => {
    const stream = ws.createWebSocketStream(socket);
    accept(stream, `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`, req);
  });
  const l = await bind(http, config, config.websocketPort ?? 0, 'mqtt.websocketPort');
  return {
    port: l.port,
    close: async () => {
      wss.close();
      await l.close();
    },
  };
}

/**
 * Listen, resolving with the bound port; track sockets so close() does not wait on idle ones. The
 * backlog is `mqtt.listenBacklog` (docs/configuration.md): a reconnect storm needs more than 511.
 */
function bind(
  server: Server,
  { host, listenBacklog: backlog }: Pick<MqttConfig, 'host' | 'listenBacklog'>,
  port: number,
  key: string,
): Promise<Listener> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new HubError('HUB_ERR_LISTEN', `${key}: cannot listen on ${host}:${port} (${err.code ?? err.message})`, {
          cause: err,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host, port, backlog }, () => {
      server.off('error', onError);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
