export { partiesOf, sequenceMermaid } from './mermaid.ts';
export type { Party, WireMessage } from './message.ts';
export { shortenSecret, shownAuthorization, shownSetCookie, shownValue } from './message.ts';
export { Recording } from './recording.ts';
export { type SequenceSvgOptions, sequenceSvg } from './svg.ts';
