import type Router from '@koa/router';
import type { AppDeps } from '../../deps.ts';
import { noStore } from '../../http/no-store.ts';
import { createRouter } from '../../http/router.ts';
import type { TrafficRecordings } from '../../recording/recordings.ts';
import { browserRecording } from './browser-recording.ts';
import { startRecording, stopRecording } from './control.ts';
import { drawRecording, readRecording, recordingAsMermaid } from './read.ts';

/**
 * A browser's traffic recording (recording/record-traffic.ts), which the `/compare` page turns on:
 * `POST` starts one (its id in an HttpOnly cookie) unless one is running, `GET` reads it as JSON,
 * `.svg` draws it as a sequence diagram and `.mmd` writes it as Mermaid text
 * (`?mode=session|jwt|oidc` filters), `DELETE` stops it. The cookie alone reaches a recording:
 * no id in any URL.
 */
export function recordingRouter(deps: AppDeps, recordings: TrafficRecordings): Router {
  const recording = browserRecording(deps, recordings);
  const router = createRouter('/compare');
  router.use(noStore);
  router.post('/recording', startRecording(recording));
  router.delete('/recording', stopRecording(recording));
  router.get('/recording', readRecording(recording));
  router.get('/recording.svg', drawRecording(recording));
  router.get('/recording.mmd', recordingAsMermaid(recording));
  return router;
}
