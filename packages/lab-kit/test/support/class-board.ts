import type { BoardLab } from '../../src/class/class-board.ts';
import { type RunningClassBoard, serveClassBoard } from '../../src/class/class-server.ts';

/** The codes the class-board suites use (valid shapes: 12 and 20 Crockford base32 characters). */
export const JOIN_CODE = 'ABCD-EFGH-JKMN';
export const INSTRUCTOR_CODE = 'QRST-VWXY-Z012-3456-789A';
export const START = Date.parse('2026-12-04T09:00:00.000Z');
export const PASSWORD_STORAGE: BoardLab = { id: '01-password-storage', title: 'Password storage', hintTiers: 3 };

/** A class board on 127.0.0.1, a free port, with the suites' codes; lab 01 unless told. */
export function serveTestBoard(options: { labs?: BoardLab[]; now?: () => number } = {}): Promise<RunningClassBoard> {
  return serveClassBoard({
    host: '127.0.0.1',
    port: 0,
    joinCode: JOIN_CODE,
    instructorCode: INSTRUCTOR_CODE,
    labs: options.labs ?? [PASSWORD_STORAGE],
    ...(options.now ? { now: options.now } : {}),
  });
}
