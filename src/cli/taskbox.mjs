#!/usr/bin/env node
// `npx taskbox …`: the operator CLI. The sources are TypeScript, run through tsx as `npm start` does.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
