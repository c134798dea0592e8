import { createServer, type IncomingMessage, type Server } from 'node:http';

/** Slack's icon codes, as a terminal shows them. */
const ICONS: Record<string, string> = { ':arrows_counterclockwise:': '🔄', ':white_check_mark:': '✅', ':warning:': '⚠️ ', ':rotating_light:': '🚨' };

/**
 * Stands in for Slack on target local: accepts incoming-webhook posts (`{ text, channel }`) on
 * 127.0.0.1 and prints them, so the notifier path is the one production uses.
 */
export class LocalSlackReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(print: (line: string) => void): Promise<LocalSlackReceiver> {
    const server = createServer((request, response) => {
      void readBody(request).then((body) => {
        let payload: { text?: unknown; channel?: unknown } = {};
        try {
          payload = JSON.parse(body) as typeof payload;
        } catch {
          response.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
          return;
        }
        const text = typeof payload.text === 'string' ? payload.text.replace(/^:[a-z_]+:/, (code) => ICONS[code] ?? code) : '';
        const channel = typeof payload.channel === 'string' ? ` ${payload.channel}` : '';
        const [first = '', ...rest] = text.split('\n');
        print(`slack${channel}: ${first}`);
        for (const line of rest) print(`  ${line}`);
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as { port: number };
    return new LocalSlackReceiver(server, `http://127.0.0.1:${port}/services/local`);
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body = (body + chunk).slice(0, 64 * 1024)));
    request.on('end', () => resolve(body));
    request.on('error', () => resolve(body));
  });
}
