export { partiesOf, sequenceMermaid } from './mermaid.ts';
export type { Party, WireMessage } from './message.ts';
export {
  ANSWER_FIELDS,
  shortenSecret,
  shownAuthorization,
  shownFields,
  shownSetCookie,
  shownValue,
} from './message.ts';
export { type RecordingFetchOptions, recordingFetch } from './record-fetch.ts';
export { Recording } from './recording.ts';
export { SEQUENCE_CSS, type SequenceSvgOptions, sequenceSvg } from './svg.ts';
