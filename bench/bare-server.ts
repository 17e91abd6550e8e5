// The baseline: the cheapest possible node:http server, answering 204 to everything.
import { createServer } from 'node:http';

const server = createServer((_request, response) => {
  response.statusCode = 204;
  response.end();
});
server.keepAliveTimeout = 75_000;
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
