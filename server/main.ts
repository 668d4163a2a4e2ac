/** `npm start`: serve on PORT with state in DATA_DIR (see server/config.ts). */
import { configOrExit, loadConfig } from './config.ts';
import { startServer } from './server.ts';
import { NewerDatabase } from './storage/db.ts';

// a bad setting, or a database from a newer version, stops the start here with one line (exit code 2)
const running = await startServer(configOrExit(() => loadConfig())).catch((e: unknown) => {
  if (!(e instanceof NewerDatabase)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
});
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    running.log.info({ signal: sig }, 'stopping');
    running.close().then(() => process.exit(0), () => process.exit(1));
  });
}
// Every request and every scoring has its own error boundary; reaching these is a bug. The state
// is then unknown, so the process logs and exits, and its supervisor (README: systemd) restarts
// it: accepted submissions are on disk and in the database, and interrupted scorings resume.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err) => {
    running.log.fatal({ err, event }, 'bug: an error escaped every boundary; exiting for the supervisor to restart');
    process.exit(70);
  });
}
