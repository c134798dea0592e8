/*
 * The input of the `train` workflow. No I/O here (src/config/train.ts reads train.yaml on the
 * CLI's side); the workflow checks the input's shape itself (trainInputRefusal in the domain).
 */
import type { ReleaseConfig } from './schema';

/** Train names become workflow ids (`train-<name>`): DNS-label-like, as service names are. */
export const TRAIN_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$/;

/** One service of a train: its checked release config and the version it goes to. */
export interface TrainService {
  config: ReleaseConfig;
  version: string;
}

/** A stage: one service, or several released side by side (`parallel:`). */
export interface TrainStage {
  services: TrainService[];
}

export interface TrainInput {
  name: string;
  /** On a failure, roll the services already promoted back to their recorded revisions, newest first. */
  compensate: boolean;
  stages: TrainStage[];
  requestedBy?: string;
}

