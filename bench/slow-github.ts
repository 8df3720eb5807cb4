// The GitHub fake of the webhook-answer bench, in a process of its own: GitHub is remote, so its work must not share
// the event loop of the process under test. Every call is answered after GITHUB_DELAY_MS. Prints its API URL.
import { setTimeout as sleep } from "node:timers/promises";
import { startFakeGitHub } from "../test/support/fake-github.js";

const delayMs = Number(process.env.GITHUB_DELAY_MS ?? 150);
const github = await startFakeGitHub();
await github.createRepo("octo", "hello", { "README.md": "# bench\n" });
github.permissions.set("maintainer", "write");
for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
  github.injectFault({ method, path: /./, times: Number.POSITIVE_INFINITY, before: () => sleep(delayMs) });
}
console.log(JSON.stringify({ apiUrl: github.apiUrl }));
process.once("SIGTERM", () => void github.close().then(() => process.exit(0)));
