// The WAL checkpoints of one SQLite database, on a thread of their own (wal-checkpointer.ts).
// Plain JavaScript on purpose: worker threads do not inherit the TypeScript loader that
// bin/gatehouse.js registers on the main thread (Node 20), as for hash-worker.mjs.
//
// Each request runs one PASSIVE checkpoint on this thread's own connection: it copies the frames
// of the write-ahead log into the database file and syncs both, without taking the writer's lock
// and without waiting for anyone, so the event loop's connection keeps reading meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

const database = new SQLite(workerData.path, { fileMustExist: true });

parentPort.on('message', (message) => {
  if (message.request === 'stop') {
    database.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = database.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ id: message.id, result });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
