/** CLIs piped into `head` and the like: a closed stdout ends the program quietly, as Unix tools do. */
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
