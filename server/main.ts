/** `npm start`: serve on PORT with state in DATA_DIR (see server/config.ts). */
import { loadConfig } from './config.ts';
import { startServer } from './server.ts';

const running = await startServer(loadConfig());
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    running.log.info({ signal: sig }, 'stopping');
    running.close().then(() => process.exit(0), () => process.exit(1));
  });
}
