// The worker thread of `BcryptPool`: bcryptjs is pure JavaScript, so a compare on the main thread
// would block the event loop for its whole cost (~100 ms at cost 10).
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface CompareRequest {
  id: number;
  password: string;
  hash: string;
}

export interface CompareReply {
  id: number;
  ok: boolean;
}

parentPort?.on('message', ({ id, password, hash }: CompareRequest) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(password, hash);
  } catch {
    ok = false; // a corrupt hash never signs anyone in
  }
  parentPort?.postMessage({ id, ok } satisfies CompareReply);
});
