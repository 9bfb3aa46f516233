// A free TCP port on 127.0.0.1, for tests and benchmarks that start servers.
import net from "node:net";

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

// Two free ports, port and port + 1 (make dev serves the consumer on
// PORT+1), both below the kernel's ephemeral range (32768 up on Linux):
// a port the kernel handed out with listen(0) is an ephemeral one, and
// its neighbour could be taken at any moment as the local port of some
// outgoing connection; then the consumer's wrangler could not bind it.
export async function freePortPair() {
  const bind = (port) =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(null));
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  for (let tries = 0; tries < 200; tries++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 6000);
    const a = await bind(port);
    const b = a && (await bind(port + 1));
    await Promise.all([a, b].filter(Boolean).map((s) => new Promise((r) => s.close(r))));
    if (a && b) return port;
  }
  throw new Error("no two free ports next to each other between 20000 and 32000");
}
