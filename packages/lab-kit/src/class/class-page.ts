/**
 * The class board's pages: the code form, the counts a join-code holder sees, and the
 * instructor's participant × lab table. Participant names are whatever someone typed at join:
 * every value goes through escapeHtml, and the CSP (board-html.ts) allows no script anyway.
 */
import { escapeHtml } from '@authlab/html';
import { boardShell, shownTime } from '../board-html.ts';
import type { ClassBoard, Participant, ParticipantLab } from './class-board.ts';

const REFRESH_SECONDS = 5;

export function codePage(message = ''): string {
  return boardShell(
    'authlab: class board',
    `<h1>Class board</h1>
${message ? `<p class="tampered">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/login">
<p><label>Code <input name="code" autocomplete="off" autocapitalize="characters" required></label>
<button>Open</button></p>
<p><small>The join code shows how far the class is; the instructor code shows each participant.</small></p>
</form>`,
  );
}

export function participantPage(view: ReturnType<ClassBoard['participantView']>): string {
  const rows = view.labs
    .map(
      (lab) =>
        `<tr><th scope="row">${escapeHtml(lab.id)}</th><td>${escapeHtml(lab.title)}</td>` +
        `<td>${lab.started}</td><td class="solved">${lab.solved}</td></tr>`,
    )
    .join('\n');
  return boardShell(
    'authlab: class board',
    `<h1>Class board</h1>
<p>${view.participants} joined. Refreshes every ${REFRESH_SECONDS} s.</p>
<div class="scroll"><table><thead><tr><th>lab</th><th>title</th><th>started</th><th>solved</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`,
    { refreshSeconds: REFRESH_SECONDS },
  );
}

function cell(state: ParticipantLab | undefined, hintTiers: number): string {
  if (!state || state.status === 'not started') return '<td></td>';
  const mark = { started: '…', solved: '✓', tampered: '!' }[state.status];
  const when = state.status === 'solved' ? shownTime(state.solvedAt) : shownTime(state.startedAt);
  const hash = state.workHash ? ` title="files ${escapeHtml(state.workHash.slice(0, 12))}"` : '';
  return `<td class="${escapeHtml(state.status)}"${hash}>${mark} ${when} <small>${state.hintsUsed}/${hintTiers}</small></td>`;
}

/** The labs this participant's runner opened with the instructor code (instructor-unlock.ts). */
function unlocksCell(participant: Participant): string {
  const labs = [...new Set(participant.instructorUnlocks.map((unlock) => unlock.lab.slice(0, 2)))];
  const last = participant.instructorUnlocks.at(-1);
  if (!last) return '<td></td>';
  return `<td class="tampered" title="last ${escapeHtml(shownTime(last.at))}">${escapeHtml(labs.join(' '))}</td>`;
}

export function instructorPage(view: ReturnType<ClassBoard['instructorView']>): string {
  const head = view.labs.map((lab) => `<th title="${escapeHtml(lab.title)}">${escapeHtml(lab.id.slice(0, 2))}</th>`);
  const rows = view.participants
    .map((participant) => {
      const solved = view.labs.filter((lab) => participant.labs[lab.id]?.status === 'solved').length;
      const cells = view.labs.map((lab) => cell(participant.labs[lab.id], lab.hintTiers));
      return `<tr><th scope="row">${escapeHtml(participant.name)}</th><td>${solved}</td>${unlocksCell(participant)}${cells.join('')}</tr>`;
    })
    .join('\n');
  return boardShell(
    'authlab: class board (instructor)',
    `<h1>Class board</h1>
<p>${view.participants.length} joined. ✓ solved (time) · … started (time) · ! a solve the participant’s own runner
did not record · hints used/tiers · unlocked: labs whose hints or solution this runner opened with the instructor
code. Refreshes every ${REFRESH_SECONDS} s; <a href="/board.json">board.json</a>.</p>
<div class="scroll"><table><thead><tr><th>participant</th><th>solved</th><th>unlocked</th>${head.join('')}</tr></thead>
<tbody>
${rows}
</tbody></table></div>`,
    { refreshSeconds: REFRESH_SECONDS },
  );
}
