// Generated from src-tauri/src/events.rs by `cargo test export_bindings`. Do not edit.
import type { Change } from "./Change";
import type { CreateProgress } from "./CreateProgress";
import type { Diagnosis } from "./Diagnosis";
import type { DragPayload } from "./DragPayload";
import type { InstanceFlakes } from "./InstanceFlakes";
import type { LimaConnection } from "./LimaConnection";
import type { LogBatch } from "./LogBatch";
import type { UpdateView } from "./UpdateView";

/** Every event the app pushes to the popover, by name. */
export const EVENTS = {
  change: "limabar://change",
  lima: "limabar://lima",
  popover: "limabar://popover",
  drag: "limabar://drag",
  flakes: "limabar://flakes",
  diagnosis: "limabar://diagnosis",
  create: "limabar://create",
  logs: "limabar://logs",
  update: "limabar://update",
} as const;

/** The payload each event carries. */
export type EventPayloads = {
  change: Change,
  lima: LimaConnection,
  popover: boolean,
  drag: DragPayload,
  flakes: InstanceFlakes,
  diagnosis: Diagnosis,
  create: CreateProgress,
  logs: LogBatch,
  update: UpdateView,
};
