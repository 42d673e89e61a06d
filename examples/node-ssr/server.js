import { createServer } from 'node:http';
import { render } from './dist/entry-server.js';

const port = Number(process.env.PORT ?? 3000);
createServer(async (request, response) => {
  response.setHeader('content-type', 'text/html; charset=utf-8');
  response.end(await render(request.url));
}).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}/`));
