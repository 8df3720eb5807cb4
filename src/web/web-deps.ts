import type { ConfigDefaults } from "../config/schema.js";
import type { SecretsStore } from "../config/secrets.js";
import type { TaskQueue } from "../queue/task-queue.js";

/** What the web process's handlers need; built once in main.ts (or a test). */
export interface WebDeps {
  queue: TaskQueue;
  configDefaults: ConfigDefaults;
  loadSecrets: () => Promise<SecretsStore>;
}
