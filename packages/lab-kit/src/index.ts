export {
  type AttackOutcome,
  blocked,
  defineAttack,
  defineChecks,
  type LabAttack,
  type LabCheck,
  worked,
} from './define.ts';
export { findLab, type Lab, listLabs, loadLab } from './labs.ts';
export { postJson } from './request.ts';
export { describeRun, type LabRun, runLab } from './run.ts';
export { type LabTarget, type RunningLabServer, startLabServer } from './target.ts';
export { verifyLab } from './verify.ts';
