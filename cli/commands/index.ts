/** Every command, in the order `flow-nexus --help` lists them. */
import type { Command } from "../context";
import { audit } from "./audit";
import { billing } from "./billing";
import { cleanup } from "./cleanup";
import { dashboard } from "./dashboard";
import { docs } from "./docs";
import { logs } from "./logs";
import { recover } from "./recover";
import { realtimeTail } from "./realtime";
import { prune } from "./stacks";
import { status } from "./status";

export const COMMANDS: Command[] = [status, dashboard, logs, audit, realtimeTail, ...billing, cleanup, recover, docs, prune];
